"""Reset the demo's data folders: `python cleanup_demo_data.py [--dry-run] [targets...]`.
The work is done by services.commands.cleanup (`sdp-cleanup` once installed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run by path: find `services`
from services.commands import cleanup

if __name__ == "__main__":
    sys.exit(cleanup())

"""Generate a synthetic extract from a schema file; see --help.
The work is done by services.commands.generate (`sdp-generate` once installed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run by path: find `services`
from services.commands import generate

if __name__ == "__main__":
    sys.exit(generate())

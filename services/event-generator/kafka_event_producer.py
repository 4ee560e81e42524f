"""Publish events to Kafka: replay extracts in event-time order, or stream live records; see
--help.
The work is done by services.commands.produce (`sdp-produce` once installed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run by path: find `services`
from services.commands import produce

if __name__ == "__main__":
    sys.exit(produce())

"""Publish events to Kafka: replay extracts in event-time order, or stream live records
(seed section 5.1); see --help. The work is done by the `services.kafka` package."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo's `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.common.cli import run
from services.kafka import cli


def main(argv: Sequence[str] | None = None) -> int:
    return run(cli.main, argv)


if __name__ == "__main__":
    sys.exit(main())

"""Reset the demo's data folders: `python cleanup_demo_data.py [--dry-run] [targets...]`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo's `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import cleanup
from services.common.cli import run


def main(argv: Sequence[str] | None = None) -> int:
    return run(cleanup.main, argv)


if __name__ == "__main__":
    sys.exit(main())

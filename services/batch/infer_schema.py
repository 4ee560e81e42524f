"""Infer a schema file from a sample of real data, or compare synthetic data with real
data (issue 15); see --help."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo's `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.common.cli import run
from services.infer import cli


def main(argv: Sequence[str] | None = None) -> int:
    return run(cli.main, argv)


if __name__ == "__main__":
    sys.exit(main())

"""Print pyproject.toml's runtime dependencies, one per line.

The image installs its Python dependencies from this list, so pyproject.toml stays the only
place the pins live (pyspark included: every service of both stacks runs from the one image).

    python docker/requirements.py pyproject.toml > requirements.txt
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib


def requirements(pyproject: Path) -> list[str]:
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    args = parser.parse_args(argv)
    sys.stdout.write("".join(f"{line}\n" for line in requirements(args.pyproject)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Print pyproject.toml's runtime dependencies, one per line, without the excluded ones.

The images install their Python dependencies from this list, so pyproject.toml stays the
only place the pins live; pyspark is excluded because the Spark image ships the same
version and the other images do not need it.

    python docker/requirements.py pyproject.toml --exclude pyspark > requirements.txt
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    """PEP 503 normalised name, so `PySpark` and `pyspark` are the same package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(pyproject: Path, exclude: Sequence[str] = ()) -> list[str]:
    with pyproject.open("rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    skip = {canonical(name) for name in exclude}
    kept = []
    for requirement in dependencies:
        match = NAME.match(requirement)
        if match is None:
            raise ValueError(f"{pyproject}: cannot read the package name of {requirement!r}")
        if canonical(match.group(1)) not in skip:
            kept.append(requirement)
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    sys.stdout.write("".join(f"{line}\n" for line in requirements(args.pyproject,
                                                                   args.exclude)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

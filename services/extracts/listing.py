"""Which files of a folder make the extract: one rule for every reader of a folder.

A file is part of the extract when its name ends in an extract suffix (formats.SUFFIXES) and
no part of its path below the folder starts with `.` or `_`: Hadoop's convention for what is
not input, which keeps out temporary files (services.common.files), the generator's
`_entities/` tables, Spark's `_temporary/` and `_SUCCESS`. Subfolders count, so a folder of
part files that the generator's Spark engine wrote inside the input folder is read as it is.
The batch job applies `is_extract` to what Hadoop lists (local or HDFS); everything else
lists local folders with `local_extracts`.
"""

from __future__ import annotations

import os
from pathlib import Path

from services.extracts.formats import ACCEPTED, kind_of


class NoExtractsError(ValueError):
    """A location holds no extract; the message names it and what was looked for."""


def is_extract(relative: str) -> bool:
    """Whether a path relative to the folder (`/`-separated) names a file of the extract."""
    parts = relative.strip("/").split("/")
    return not any(p.startswith((".", "_")) for p in parts) and kind_of(parts[-1]) is not None


def local_extracts(folder: Path) -> list[Path]:
    """The extract files under `folder`, recursively, in the order of their relative paths
    (hidden and `_` folders are not entered)."""
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith((".", "_")))
        base = Path(root)
        found += [base / name for name in files
                  if is_extract(name) and (base / name).is_file()]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def find_extracts(location: Path) -> list[Path]:
    """The extract files of a folder, or the one extract file given; NoExtractsError when
    there is none (a missing location, a folder without extracts, a file of another kind)."""
    if location.is_file():
        if kind_of(location.name) is None:
            raise NoExtractsError(f"{location}: not an extract; accepted: {ACCEPTED}")
        return [location]
    if not location.is_dir():
        raise NoExtractsError(f"{location} does not exist")
    found = local_extracts(location)
    if not found:
        raise NoExtractsError(f"no extracts ({ACCEPTED}) in {location}")
    return found

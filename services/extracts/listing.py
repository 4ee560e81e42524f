"""Which files of a folder make the extract: one rule for every reader of a folder.

A file is part of the extract when its name ends in an extract suffix (formats.IN_FOLDER:
`.csv`, `.jsonl`, each optionally `.gz`, `.parquet`; not `.json`) and no part of its path below the
folder starts with `.` or `_`: Hadoop's convention for what is not input, which keeps out
temporary files (services.common.files), the generator's `_entities/` tables, Spark's
`_temporary/` and `_SUCCESS`. Subfolders count, so a folder of part files that the
generator's Spark engine wrote inside the input folder is read as it is. A visible file of
another name (`schema.json`, `notes.txt`) is skipped with one warning line naming it: a
reader never guesses that it was meant as data. A file named on its own is read by its
format (formats.kind_of, `.json` as JSON Lines too).
The entity tables are the extract-suffixed files of an `_entities/` folder, in the folder or
in one of its visible subfolders (a parts folder's): the HDFS loader carries them along.
The batch job applies `is_extract` and `is_stray` to what Hadoop lists (local or HDFS);
everything else lists local folders with `local_listing`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from services.extracts.formats import ACCEPTED, in_folder, kind_of

log = logging.getLogger("extracts")
ENTITY_FOLDER = "_entities"  # "_": no reader of the folder takes its tables as the extract


class NoExtractsError(ValueError):
    """A location holds no extract; the message names it and what was looked for."""


def _parts(relative: str) -> list[str]:
    return relative.strip("/").split("/")


def _visible(parts: list[str]) -> bool:
    return not any(p.startswith((".", "_")) for p in parts)


def is_extract(relative: str) -> bool:
    """Whether a path relative to the folder (`/`-separated) names a file of the extract."""
    parts = _parts(relative)
    return _visible(parts) and in_folder(parts[-1])


def is_stray(relative: str) -> bool:
    """A visible file that is not an extract: skipped, and warned about."""
    parts = _parts(relative)
    return _visible(parts) and not in_folder(parts[-1])


def is_entity_table(relative: str) -> bool:
    """An extract-suffixed file in an `_entities/` folder of the folder or of a visible
    subfolder of it."""
    parts = _parts(relative)
    return (len(parts) >= 2 and parts[-2] == ENTITY_FOLDER and in_folder(parts[-1])
            and _visible([*parts[:-2], parts[-1]]))


def warn_skipped(names: Iterable[str]) -> None:
    """One warning line for each file a reader skips (is_stray)."""
    for name in names:
        log.warning("skipped %s: not an extract (read: %s)", name, ACCEPTED)


@dataclass(frozen=True)
class Listing:
    extracts: list[Path]  # in the order of their relative paths
    tables: list[Path]  # the entity tables (is_entity_table)
    skipped: list[Path]  # visible files that are not extracts (is_stray)


def local_listing(folder: Path) -> Listing:
    """The extract files, entity tables and skipped files under `folder`, recursively
    (hidden and `_` folders are not entered, but for `_entities`)."""
    found: dict[str, list[Path]] = {"extracts": [], "tables": [], "skipped": []}
    for root, folders, files in os.walk(folder):
        base = Path(root)
        inside = base.relative_to(folder).as_posix()
        prefix = "" if inside == "." else inside + "/"
        here_visible = not prefix or _visible(_parts(inside))
        folders[:] = sorted(f for f in folders if not f.startswith((".", "_"))
                            or (f == ENTITY_FOLDER and here_visible))
        for name in files:
            relative = prefix + name
            if not (base / name).is_file():
                continue
            kind = ("extracts" if is_extract(relative) else "tables"
                    if is_entity_table(relative) else "skipped" if is_stray(relative) else None)
            if kind:
                found[kind].append(base / name)

    def ordered(paths: list[Path]) -> list[Path]:
        return sorted(paths, key=lambda p: p.relative_to(folder).as_posix())

    return Listing(*(ordered(found[k]) for k in ("extracts", "tables", "skipped")))


def local_extracts(folder: Path) -> list[Path]:
    """The extract files under `folder`, recursively, in the order of their relative paths;
    a warning names each file skipped (local_listing)."""
    listing = local_listing(folder)
    warn_skipped(str(p) for p in listing.skipped)
    return listing.extracts


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

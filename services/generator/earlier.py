"""What earlier runs of the generator left in an output folder, cleared by `--clear-output`.

Readers of a folder (the batch job, the replay) take every extract in it, so a folder that
still holds an earlier run's file of another format, or its Spark parts folder, would count
those rows again. Cleared is what the generator makes, whatever the format: extract files
directly in the folder (CSV, JSONL, Parquet, gzip or not; Avro files, which no reader takes,
too), folders of part files (the Spark engine's), and the entity tables in `_entities/`
that belong to one of these extracts or to this run's (`<stem>.<entity><suffix>`, as the
generator names them): so the tables of an entity no longer in the schema go too. Anything
else (other files, other folders, a table of the user's own in `_entities/`) stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from services.common.files import remove
from services.extracts import SUFFIXES, is_written
from services.generator.engine import ENTITY_FOLDER
from services.generator.parts import is_parts_folder

TABLE = re.compile(r"(?P<stem>.+)\.\w+")  # <stem>.<entity>, once the suffix is cut


def stem_of(name: str) -> str:
    """A file name without its extract suffix (`x.csv.gz` -> `x`)."""
    lower = name.lower()
    cut = max((len(s) for s in SUFFIXES if lower.endswith(s)), default=0)
    return name[:len(name) - cut] if cut else name


def clear_earlier_extracts(folder: Path, keep: Iterable[Path] = ()) -> list[Path]:
    """Remove every extract, parts folder and entity table directly in `folder` (and its
    `_entities/`) but those in `keep` (this run's); return what was removed."""
    kept = set(keep)
    removed = []
    for path in sorted(folder.iterdir()):
        if path in kept or path.name.startswith((".", "_")):
            continue
        if (path.is_file() and is_written(path.name)) or is_parts_folder(path):
            remove(path)
            removed.append(path)
    stems = {stem_of(p.name) for p in [*removed, *kept] if p.parent == folder}
    tables = folder / ENTITY_FOLDER
    if tables.is_dir() and not tables.is_symlink():
        for path in sorted(tables.iterdir()):
            table = TABLE.fullmatch(stem_of(path.name))
            if (path not in kept and path.is_file() and is_written(path.name) and table
                    and table["stem"] in stems):
                remove(path)
                removed.append(path)
        if not any(tables.iterdir()):
            tables.rmdir()
    return removed

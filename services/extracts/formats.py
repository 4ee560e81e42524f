"""The extract formats: which suffix means which format, and which are gzip.

CSV (RFC 4180, a header line), JSON Lines (one object a line) and Parquet; CSV and JSON
Lines optionally gzip (`.gz`). A file named `.json` is read as JSON Lines when it is named
itself (Spark writes JSON Lines under that suffix), but a folder's extract never takes one
(`IN_FOLDER`, listing): there a `.json` file is a schema, a report or an answer far more
often than data (the design reads `*.csv`; the generator writes `.jsonl`).

The generator also writes Avro container files (`.avro`, `WRITTEN_ONLY`), for consumers of
their own: no reader here takes them (a folder's listing skips them with its warning, a file
named on its own is refused), but the generator's `--clear-output` clears them as it clears
the extracts it wrote (`is_written`).
"""

from __future__ import annotations

CSV, JSONL, PARQUET = "csv", "jsonl", "parquet"
GZIP = ".gz"
SUFFIXES_OF = {
    CSV: (".csv", ".csv.gz"),
    JSONL: (".jsonl", ".jsonl.gz", ".json", ".json.gz"),
    PARQUET: (".parquet",),
}
SUFFIXES = tuple(s for suffixes in SUFFIXES_OF.values() for s in suffixes)
IN_FOLDER = tuple(s for s in SUFFIXES if s not in (".json", ".json.gz"))
ACCEPTED = "*.csv, *.jsonl (each optionally .gz), *.parquet"
TITLES = {CSV: "CSV", JSONL: "JSONL", PARQUET: "Parquet"}
WRITTEN_ONLY = (".avro",)  # the generator writes them; no reader of extracts reads them


def kind_of(name: str) -> str | None:
    """csv, jsonl or parquet by the file name's suffix (any case); None for another file."""
    lower = name.lower()
    return next((kind for kind, suffixes in SUFFIXES_OF.items() if lower.endswith(suffixes)),
                None)


def in_folder(name: str) -> bool:
    """Whether a file of this name is taken as part of a folder's extract (not `.json`)."""
    return name.lower().endswith(IN_FOLDER)


def is_gzip(name: str) -> bool:
    return name.lower().endswith(GZIP)


def is_written(name: str) -> bool:
    """Whether the generator writes files of this name in a folder: an extract or an Avro
    container file."""
    return in_folder(name) or name.lower().endswith(WRITTEN_ONLY)

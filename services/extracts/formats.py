"""The extract formats: which suffix means which format, and which are gzip.

CSV (RFC 4180, a header line), JSON Lines (one object a line), Parquet and Avro Object
Container Files (`.avro`, the generator's --format avro); CSV and JSON Lines optionally gzip
(`.gz`), Parquet and Avro compressed inside the file. A file named `.json` is read as JSON
Lines when it is named itself (Spark writes JSON Lines under that suffix), but a folder's
extract never takes one (`IN_FOLDER`, listing): there a `.json` file is a schema, a report
or an answer far more often than data (the design reads `*.csv`; the generator writes
`.jsonl`).
"""

from __future__ import annotations

CSV, JSONL, PARQUET, AVRO = "csv", "jsonl", "parquet", "avro"
GZIP = ".gz"
SUFFIXES_OF = {
    CSV: (".csv", ".csv.gz"),
    JSONL: (".jsonl", ".jsonl.gz", ".json", ".json.gz"),
    PARQUET: (".parquet",),
    AVRO: (".avro",),
}
SUFFIXES = tuple(s for suffixes in SUFFIXES_OF.values() for s in suffixes)
IN_FOLDER = tuple(s for s in SUFFIXES if s not in (".json", ".json.gz"))
ACCEPTED = "*.csv, *.jsonl (each optionally .gz), *.parquet, *.avro"
TITLES = {CSV: "CSV", JSONL: "JSONL", PARQUET: "Parquet", AVRO: "Avro"}


def kind_of(name: str) -> str | None:
    """csv, jsonl, parquet or avro by the file name's suffix (any case); None for another
    file."""
    lower = name.lower()
    return next((kind for kind, suffixes in SUFFIXES_OF.items() if lower.endswith(suffixes)),
                None)


def in_folder(name: str) -> bool:
    """Whether a file of this name is taken as part of a folder's extract (not `.json`)."""
    return name.lower().endswith(IN_FOLDER)


def is_gzip(name: str) -> bool:
    return name.lower().endswith(GZIP)


def is_written(name: str) -> bool:
    """Whether the generator writes files of this name in a folder (its --clear-output
    clears them): the extracts of every format."""
    return in_folder(name)

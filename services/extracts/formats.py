"""The extract formats: which suffix means which format, and which are gzip.

CSV (RFC 4180, a header line), JSON Lines (one object a line; `.json` too, as Spark writes
JSON Lines under that suffix) and Parquet; CSV and JSON Lines optionally gzip (`.gz`).
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
ACCEPTED = "*.csv, *.jsonl or *.json (each optionally .gz), *.parquet"
TITLES = {CSV: "CSV", JSONL: "JSONL", PARQUET: "Parquet"}


def kind_of(name: str) -> str | None:
    """csv, jsonl or parquet by the file name's suffix (any case); None for another file."""
    lower = name.lower()
    return next((kind for kind, suffixes in SUFFIXES_OF.items() if lower.endswith(suffixes)),
                None)


def is_gzip(name: str) -> bool:
    return name.lower().endswith(GZIP)

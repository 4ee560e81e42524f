"""Reading one extract file with the reader its suffix calls for, a batch of rows at a time."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from services.extracts.avro_reader import avro_batches
from services.extracts.csv_reader import csv_batches
from services.extracts.formats import AVRO, CSV, JSONL, PARQUET, TITLES, kind_of
from services.extracts.jsonl_reader import arrow_jsonl, jsonl_batches
from services.extracts.parquet_reader import parquet_batches
from services.extracts.rows import ExtractError, ExtractRows, concat_extracts

READERS: dict[str, Callable[[Path], Iterator[ExtractRows]]] = {
    CSV: csv_batches, JSONL: jsonl_batches, PARQUET: parquet_batches, AVRO: avro_batches}


def extract_batches(path: Path, kind: str | None = None) -> Iterator[ExtractRows]:
    """Read one extract by its suffix (or as `kind`, whatever its name), a batch of rows at
    a time; a file that cannot be read at all raises ExtractError."""
    kind = kind or kind_of(path.name) or CSV
    try:
        yield from READERS[kind](path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ExtractError(f"{path}: cannot be read ({exc})") from None
    except pa.ArrowInvalid as exc:
        raise ExtractError(f"{path}: not readable as {TITLES[kind]} ({exc})") from None


def read_extract(path: Path) -> ExtractRows:
    """The whole file as one ExtractRows (for tests and small files; replay reads batches)."""
    batches = list(extract_batches(path))
    if len(batches) == 1:
        return batches[0]
    return concat_extracts(path, batches)


def text_batches(path: Path) -> Iterator[ExtractRows]:
    """extract_batches for readers that need the text alone (the schema inference): a JSONL
    file that Arrow's JSON reader takes is read whole by it, far faster (arrow_jsonl)."""
    if kind_of(path.name) == JSONL:
        whole = arrow_jsonl(path)
        if whole is not None:
            if whole.num_rows:
                yield whole
            return
    yield from extract_batches(path)

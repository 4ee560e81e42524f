"""Parquet extracts (the generator's --format parquet): read a row group's worth of rows at
a time with pyarrow and turned into the text the same rows have in CSV, column at a time.

Why text: the replay renders CSV text with the schema's types (fragments.typed), so a
Parquet extract whose values read as their CSV text replays as exactly the same events as
its CSV twin, with the same trimming, blank-row and event-time rules. Rows have no lines in
Parquet: a bad row is named by its row number in the file (1-based).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from services.extracts.rows import (
    ExtractError,
    ExtractRows,
    TextColumn,
    blank_rows,
    column_names,
    trim,
)
from services.extracts.text import parquet_text

ROWS_PER_BATCH = 65_536


def parquet_batches(path: Path, rows_per_batch: int = ROWS_PER_BATCH) -> Iterator[ExtractRows]:
    """The file's non-blank rows, a batch at a time."""
    with pq.ParquetFile(path) as source:
        names = column_names(path, source.schema_arrow.names)
        first = 0
        for batch in source.iter_batches(batch_size=rows_per_batch):
            yield _batch(path, names, batch, first)
            first += batch.num_rows


def _batch(path: Path, names: list[str], batch: pa.RecordBatch, first: int) -> ExtractRows:
    columns = {name: TextColumn(trim(pa.chunked_array([_text(path, name, column)])))
               for name, column in zip(names, batch.columns, strict=True)}
    extract = ExtractRows(path, columns, batch.num_rows,
                      lambda rows: first + 1 + np.asarray(rows, dtype=np.int64))
    extract.drop(blank_rows(extract), None)
    return extract


def _text(path: Path, name: str, column: pa.Array) -> pa.Array:
    try:
        return parquet_text(column)
    except pa.ArrowNotImplementedError:
        raise ExtractError(f"{path}: column {name!r} is of type {column.type}, which has no "
                           "text form to send; extracts hold flat values") from None

"""Sample files read into one text column per key, with the extract readers of
services.extracts (CSV per RFC 4180, JSONL, Parquet; gzip or not): values trimmed, empty
values null, and in CSV the spellings of a null too (services.extracts.nulls: `NA`,
`NULL`, `NaN`...). A folder stands for the files of its extract (services.extracts' rule)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from services.extracts import (
    ExtractError,
    NoExtractsError,
    find_extracts,
    kind_of,
    text_batches,
)

log = logging.getLogger("infer.samples")

Text = pa.ChunkedArray | pa.Array  # a column of text values, null where empty


class SampleError(ValueError):
    """A sample cannot be used (missing, unreadable, empty); the message names the file."""


@dataclass(frozen=True)
class Sample:
    """Text columns in the order their keys first appear, all of `rows` values."""

    columns: dict[str, pa.ChunkedArray]
    rows: int
    files: tuple[Path, ...]

    @property
    def format(self) -> str:
        return kind_of(self.files[0].name) or "csv"


def read_samples(paths: Sequence[str | Path], limit: int | None = None) -> Sample:
    """The first `limit` rows (all when None) of the files (or folders) together."""
    chunks: dict[str, list[pa.Array]] = {}
    rows, files = 0, []
    for path in (file for given in map(Path, paths) for file in sample_files(given)):
        files.append(path)
        file_rows = 0
        for columns, size in _batches(path):
            take = size if limit is None else min(size, limit - rows)
            for name in columns:
                # a key first seen now was missing (null) in every row before it
                chunks.setdefault(name, [pa.nulls(rows, pa.string())])
            for name, parts in chunks.items():
                column = columns.get(name)
                text = column.slice(0, take) if column is not None else \
                    pa.nulls(take, pa.string())
                parts.extend(text.chunks if isinstance(text, pa.ChunkedArray) else [text])
            rows, file_rows = rows + take, file_rows + take
            if limit is not None and rows >= limit:
                break
        if file_rows == 0 and (limit is None or rows < limit):
            raise SampleError(f"{path}: has no rows of data")
        if limit is not None and rows >= limit:
            break
    columns = {name: pa.chunked_array(parts, pa.string()) for name, parts in chunks.items()}
    return Sample(columns, rows, tuple(files))


def _batches(path: Path) -> Iterator[tuple[dict[str, Text], int]]:
    """The file's text columns a batch at a time (services.extracts.text_batches); bad rows
    are skipped and counted."""
    bad = 0
    try:
        for batch in text_batches(path):
            bad += len(batch.bad)
            yield {name: column.text for name, column in batch.columns.items()}, batch.num_rows
    except ExtractError as exc:
        raise SampleError(str(exc)) from None
    if bad:
        log.warning("%s: skipped %d bad rows (see README, the extracts' rules)", path, bad)


def sample_files(path: Path) -> list[Path]:
    """The sample file given, or the files of the extract in the folder given."""
    if not path.exists():
        raise SampleError(f"{path}: file not found")
    try:
        return find_extracts(path)
    except NoExtractsError as exc:
        raise SampleError(str(exc)) from None

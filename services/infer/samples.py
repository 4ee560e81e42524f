"""Sample files read into one text column per key, with the producer's extract readers
(CSV per RFC 4180, JSONL, Parquet; gzip or not): values trimmed, empty values null."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from services.kafka.extracts import SUFFIXES, ExtractError, extract_batches

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
        name = self.files[0].name.lower()
        return "jsonl" if ".jsonl" in name else "parquet" if name.endswith(".parquet") else "csv"


def read_samples(paths: Sequence[str | Path], limit: int | None = None) -> Sample:
    """The first `limit` rows (all when None) of the files together."""
    chunks: dict[str, list[pa.Array]] = {}
    rows, bad, files = 0, 0, []
    for path in map(Path, paths):
        _check_path(path)
        files.append(path)
        file_rows = 0
        try:
            for batch in extract_batches(path):
                bad += len(batch.bad)
                take = batch.num_rows if limit is None else min(batch.num_rows, limit - rows)
                for name in batch.columns:
                    # a key first seen now was missing (null) in every row before it
                    chunks.setdefault(name, [pa.nulls(rows, pa.string())])
                for name, parts in chunks.items():
                    column = batch.columns.get(name)
                    text = column.text.slice(0, take) if column else pa.nulls(take, pa.string())
                    parts.extend(text.chunks if isinstance(text, pa.ChunkedArray) else [text])
                rows, file_rows = rows + take, file_rows + take
                if limit is not None and rows >= limit:
                    break
        except ExtractError as exc:
            raise SampleError(str(exc)) from None
        if file_rows == 0 and (limit is None or rows < limit):
            raise SampleError(f"{path}: has no rows of data")
        if limit is not None and rows >= limit:
            break
    if bad:
        log.warning("skipped %d bad rows (wrong number of fields or not UTF-8)", bad)
    columns = {name: pa.chunked_array(parts, pa.string()) for name, parts in chunks.items()}
    return Sample(columns, rows, tuple(files))


def _check_path(path: Path) -> None:
    if not path.exists():
        raise SampleError(f"{path}: file not found")
    if not path.is_file():
        raise SampleError(f"{path}: not a file")
    if not path.name.lower().endswith(SUFFIXES):
        raise SampleError(f"{path}: unknown format; accepted: {', '.join(SUFFIXES)}")

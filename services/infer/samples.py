"""Sample files read into one text column per key, with the producer's extract readers
(CSV per RFC 4180, JSONL, Parquet; gzip or not): values trimmed, empty values null."""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pajson

from services.kafka.extract_rows import ExtractError, open_bytes, trim
from services.kafka.extracts import SUFFIXES, extract_batches

log = logging.getLogger("infer.samples")

HEAD_BYTES = 1 << 20  # of a JSONL file, read to learn the type of each key


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
    rows, files = 0, []
    for path in map(Path, paths):
        _check_path(path)
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
    """The file's text columns a batch at a time: JSONL of flat objects with one type per
    key by Arrow's reader, everything else (and JSONL that Arrow refuses) by the
    producer's readers, which also skip and count bad rows."""
    if path.name.lower().endswith((".jsonl", ".jsonl.gz")):
        batches = arrow_jsonl(path)
        if batches is not None:
            yield from batches
            return
    bad = 0
    try:
        for batch in extract_batches(path):
            bad += len(batch.bad)
            yield {name: column.text for name, column in batch.columns.items()}, batch.num_rows
    except ExtractError as exc:
        raise SampleError(str(exc)) from None
    if bad:
        log.warning("%s: skipped %d bad rows (see the producer's rules for extracts)", path, bad)


def arrow_jsonl(path: Path) -> list[tuple[dict[str, Text], int]] | None:
    """The whole file by Arrow's JSON reader, values as the producer's reader gives them
    (trimmed text, numbers and booleans as JSON text); None when a line is not JSON, a key
    changes type or holds objects or lists."""
    try:
        with open_bytes(path) as handle:
            head = handle.read(HEAD_BYTES)
        head = head[:head.rfind(b"\n") + 1] or head
        # Arrow would read ISO text as timestamps and lose its format: text it stays.
        kinds = pajson.read_json(io.BytesIO(head)).schema
        text = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_timestamp(f.type)
                          else f for f in kinds])
        options = pajson.ParseOptions(explicit_schema=text, unexpected_field_behavior="infer")
        with open_bytes(path) as handle:
            table = pajson.read_json(handle, parse_options=options)
    except (pa.ArrowInvalid, OSError, EOFError, gzip.BadGzipFile):
        return None
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_string(kind):
            columns[name.strip()] = trim(column)
        elif pa.types.is_null(kind):
            columns[name.strip()] = pa.chunked_array([pa.nulls(len(column), pa.string())])
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or \
                pa.types.is_boolean(kind):
            columns[name.strip()] = column.cast(pa.string())
        else:
            return None
    if len(columns) != table.num_columns:  # keys the same once trimmed
        return None
    return [(columns, table.num_rows)] if table.num_rows else []


def _check_path(path: Path) -> None:
    if not path.exists():
        raise SampleError(f"{path}: file not found")
    if not path.is_file():
        raise SampleError(f"{path}: not a file")
    if not path.name.lower().endswith(SUFFIXES):
        raise SampleError(f"{path}: unknown format; accepted: {', '.join(SUFFIXES)}")

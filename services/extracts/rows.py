"""The shape every extract reader returns: text columns and the lines it skipped.

An extract is read into text columns (keys and values trimmed, empty values null), one per
key in file order, plus what was skipped. Columns rather than one dict per row: the rows
are sorted and turned into JSON with vectorised Arrow kernels, so no per-row Python runs
between reading a file and handing bytes to the Kafka client. `ExtractRows.rows()` gives the
one-dict-per-row view.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.extracts.formats import is_gzip


class ExtractError(ValueError):
    """A whole file cannot be replayed (unreadable, no header, duplicate columns)."""


@dataclass(frozen=True)
class TextColumn:
    """One key's values. `text` is null for an empty value, a JSON null or a missing key;
    `raw` marks values that are JSON already (numbers, booleans, objects from JSONL);
    `absent` marks rows whose JSON object lacked the key (left out of the payload)."""

    text: pa.ChunkedArray
    raw: pa.ChunkedArray | None = None
    absent: pa.ChunkedArray | None = None

    def take(self, rows: np.ndarray) -> TextColumn:
        return TextColumn(self.text.take(rows), None if self.raw is None else self.raw.take(rows),
                          None if self.absent is None else self.absent.take(rows))


@dataclass(frozen=True)
class BadRow:
    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.reason}"


@dataclass
class ExtractRows:
    """The good rows of one file as columns, and the lines it skipped."""

    path: Path
    columns: dict[str, TextColumn]
    num_rows: int
    lines_of: Callable[[np.ndarray], np.ndarray]  # row indices -> physical line numbers
    bad: list[BadRow] = field(default_factory=list)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def drop(self, rows: np.ndarray, reason: str | None) -> None:
        """Skip `rows`: with a reason they are bad (recorded with their lines), without one
        they are blank (dropped silently)."""
        if not len(rows):
            return
        if reason is not None:
            lines = self.lines_of(rows)
            self.bad.extend(BadRow(self.path, int(line), reason) for line in lines)
        keep = np.setdiff1d(np.arange(self.num_rows), rows)
        old_lines = self.lines_of
        self.columns = {name: col.take(keep) for name, col in self.columns.items()}
        self.num_rows = len(keep)
        self.lines_of = lambda r: old_lines(keep[r])

    def rows(self) -> list[dict[str, Any]]:
        """One dict per row (missing JSONL keys left out, JSON values parsed); for tests and
        for looking at data, never on the send path."""
        out: list[dict[str, Any]] = [{} for _ in range(self.num_rows)]
        for name, col in self.columns.items():
            texts = col.text.to_pylist()
            raws = col.raw.to_pylist() if col.raw is not None else [False] * self.num_rows
            absent = col.absent.to_pylist() if col.absent is not None else None
            for i, (value, raw) in enumerate(zip(texts, raws, strict=True)):
                if absent is not None and absent[i]:
                    continue
                out[i][name] = json.loads(value) if raw and value is not None else value
        return out


def open_bytes(path: Path) -> io.BufferedIOBase:
    """A plain or gzip file's bytes."""
    if is_gzip(path.name):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def open_text(path: Path) -> io.TextIOBase:
    """Text of a plain or gzip file, for finding lines: UTF-8, a byte-order mark dropped,
    newlines untouched, undecodable bytes replaced (rows are decoded, and judged, elsewhere)."""
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", newline="",
                            errors="replace")


def column_names(path: Path, header: list[str]) -> list[str]:
    """A file's column names, trimmed; a nameless or repeated column refuses the file."""
    names = [name.strip() for name in header]
    if "" in names:
        raise ExtractError(f"{path}: column {names.index('') + 1} of the header has no name")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ExtractError(f"{path}: the header names {', '.join(map(repr, duplicates))} more "
                           "than once")
    return names


def trim(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Strip surrounding whitespace; an empty value becomes null."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def blank_rows(extract: ExtractRows) -> np.ndarray:
    """Rows whose every value is empty after trimming: not data, and not errors either."""
    blank = np.ones(extract.num_rows, dtype=bool)
    for column in extract.columns.values():
        blank &= pc.is_null(column.text).to_numpy(zero_copy_only=False)
    return np.flatnonzero(blank)


def concat_extracts(path: Path, batches: list[ExtractRows]) -> ExtractRows:
    """Batches as one; a key missing from a batch is absent in its rows."""
    names = list(dict.fromkeys(name for batch in batches for name in batch.columns))
    columns = {}
    for name in names:
        parts = [_column_or_absent(batch, name) for batch in batches]
        raw = None if all(p.raw is None for p in parts) else _chunks(
            [p.raw if p.raw is not None else pa.chunked_array([pa.repeat(False, n)])
             for p, n in zip(parts, (b.num_rows for b in batches), strict=True)])
        absent = None if all(p.absent is None for p in parts) else _chunks(
            [p.absent if p.absent is not None else pa.chunked_array([pa.repeat(False, n)])
             for p, n in zip(parts, (b.num_rows for b in batches), strict=True)])
        columns[name] = TextColumn(_chunks([p.text for p in parts]), raw, absent)
    sizes = np.cumsum([0] + [b.num_rows for b in batches])
    bad = [row for b in batches for row in b.bad]

    def lines_of(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        which = np.searchsorted(sizes, rows, side="right") - 1
        out = np.empty(len(rows), dtype=np.int64)
        for i, batch in enumerate(batches):
            mask = which == i
            if mask.any():
                out[mask] = batch.lines_of(rows[mask] - sizes[i])
        return out

    return ExtractRows(path, columns, int(sizes[-1]), lines_of, bad)


def _column_or_absent(batch: ExtractRows, name: str) -> TextColumn:
    if name in batch.columns:
        return batch.columns[name]
    n = batch.num_rows
    return TextColumn(pa.chunked_array([pa.nulls(n, pa.string())]), None,
                      pa.chunked_array([pa.repeat(True, n)]))


def _chunks(columns: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    return pa.chunked_array([c for column in columns for c in column.chunks],
                            type=columns[0].type)

"""A pipeline's output values from their text, a column at a time: window starts (ISO-8601 in
its common spellings, or epoch milliseconds), event counts and sums.

Every format reaches here as text (services.extracts reads CSV, JSONL and Parquet alike, a
Parquet timestamp as its UTC ISO text), so one set of rules reads them all. Each parser
returns the values and the rows it could not read, so the caller can name the first one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
OFFSET = r"(Z|[+-][0-9]{2}:?[0-9]{2})"
UTC_MS = pa.timestamp("ms", "UTC")
NAIVE_MS = pa.timestamp("ms")
TIMES = ("ISO-8601 (2025-03-03T08:00:00Z, with a space or T, with or without Z or an "
         "offset; no offset means UTC) or epoch milliseconds")


@dataclass(frozen=True)
class Parsed:
    values: np.ndarray
    bad: np.ndarray  # indices of the rows that are null or could not be read


def _text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
    return column.cast(pa.string())


def _mask(array: pa.Array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def _matches(text: pa.Array, pattern: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(text, f"^{pattern}$"))


def _numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(floats, which rows are numbers); rows that are not hold 0."""
    ok = _matches(text, NUMBER)
    values = np.zeros(len(text), dtype=np.float64)
    if ok.any():
        values[ok] = pc.cast(text.filter(pa.array(ok)), pa.float64()).to_numpy()
    return values, ok


def parse_counts(column: pa.Array | pa.ChunkedArray) -> Parsed:
    """Whole numbers >= 0 ("12", and "12.0" as JSON writers of floats give it)."""
    values, ok = _numbers(_text(column))
    ok &= (values >= 0) & (values == np.floor(values)) & (values < 2.0 ** 62)
    return Parsed(np.where(ok, values, 0).astype(np.int64), np.flatnonzero(~ok))


def parse_sums(column: pa.Array | pa.ChunkedArray) -> Parsed:
    """Finite decimal numbers."""
    values, ok = _numbers(_text(column))
    ok &= np.isfinite(values)
    return Parsed(np.where(ok, values, 0.0), np.flatnonzero(~ok))


def parse_times_ms(column: pa.Array | pa.ChunkedArray) -> Parsed:
    """Epoch milliseconds UTC of TIMES; a number is taken as epoch milliseconds."""
    text = _text(column)
    out = np.zeros(len(text), dtype=np.int64)
    numbers, is_number = _numbers(text)
    is_number &= np.isfinite(numbers)
    out[is_number] = np.round(numbers[is_number]).astype(np.int64)
    good = is_number.copy()
    for pattern, kind in ((ISO + OFFSET, UTC_MS), (ISO, NAIVE_MS)):
        rows = np.flatnonzero(_matches(text, pattern))
        if len(rows):
            values, read = _cast_times(text.take(pa.array(rows)), kind)
            out[rows[read]] = values[read]
            good[rows[read]] = True
    return Parsed(out, np.flatnonzero(~good))


def _cast_times(text: pa.Array, kind: pa.DataType) -> tuple[np.ndarray, np.ndarray]:
    """(ms, which were read) of text that looks like a time; one by one only when Arrow
    refuses the whole column (a month 13 somewhere), to find which rows it refuses."""
    try:
        return (pc.cast(pc.cast(text, kind), pa.int64()).to_numpy(),
                np.ones(len(text), dtype=bool))
    except pa.ArrowInvalid:
        values = np.zeros(len(text), dtype=np.int64)
        read = np.zeros(len(text), dtype=bool)
        for i in range(len(text)):
            try:
                values[i] = pc.cast(pc.cast(text.slice(i, 1), kind), pa.int64())[0].as_py()
                read[i] = True
            except pa.ArrowInvalid:
                pass
        return values, read

"""Times from text with Arrow, by the spellings every reader shares (services.extracts.times).

Column at a time: each spelling takes the values still open that have its shape (RE2), in
the list's order; a value that has a shape but does not parse by it stays open for the next
spelling (a slashed date that is not day first may be month first). strptime is lenient
(`31/02/2025` rolls over into March), so a value read by it counts only when writing its
time back with the same format gives the value again. Only a batch that Arrow's cast
refuses as a whole (an ISO `2025-02-31` among good dates) is retried value by value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.extracts.times import (
    EPOCH_UNIT_MS,
    FIRST_MS,
    LAST_MS,
    WHITESPACE,
    Spelling,
    spellings_for,
)

MS = pa.timestamp("ms")


def parse_times(text: pa.Array | pa.ChunkedArray,
                fmt: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(epoch ms, parsed) for each value; `fmt` is the field's declared format (iso,
    epoch_s, epoch_ms, a strftime pattern, or None)."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks else pa.array([], pa.string())
    text = pc.utf8_trim(text.cast(pa.string()), characters=WHITESPACE)
    ms = np.zeros(len(text), dtype=np.int64)
    done = np.zeros(len(text), dtype=bool)
    todo = pc.is_valid(text).to_numpy(zero_copy_only=False).copy()
    for spelling in spellings_for(fmt):
        if not todo.any():
            break
        shaped = pc.fill_null(pc.match_substring_regex(text, spelling.shape), False)
        where = np.flatnonzero(todo & shaped.to_numpy(zero_copy_only=False))
        if not len(where):
            continue
        values, good = parse_spelled(text.take(where), spelling)
        ms[where[good]] = values[good]
        done[where[good]] = True
        todo[where[good]] = False
    ok = done & (ms >= FIRST_MS) & (ms <= LAST_MS)
    return np.where(ok, ms, 0), ok


def parse_spelled(values: pa.Array, spelling: Spelling) -> tuple[np.ndarray, np.ndarray]:
    """(epoch ms, parsed) of values that have the spelling's shape."""
    if spelling.epoch is not None:
        return _epoch(values, EPOCH_UNIT_MS[spelling.epoch])
    if spelling.strptime is None:
        return _to_ms(_millis(values), pa.timestamp("ms", "UTC") if spelling.zoned else MS)
    parsed = pc.strptime(values, format=spelling.strptime, unit="s", error_is_null=True)
    again = pc.strftime(parsed, format=spelling.strptime)
    good = pc.fill_null(pc.equal(again, values), False).to_numpy(zero_copy_only=False)
    seconds = pc.fill_null(parsed.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    return seconds * 1000, good


def _epoch(values: pa.Array, unit_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers (the shape has at most 18 digits: they fit an int64) of seconds or
    milliseconds; out of the years 1 to 9999 they do not parse (as in Spark, where the
    conversion would overflow)."""
    numbers = pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False)
    good = (numbers >= FIRST_MS // unit_ms) & (numbers <= LAST_MS // unit_ms)
    return np.where(good, numbers, 0) * unit_ms, good


def _to_ms(values: pa.Array, kind: pa.DataType) -> tuple[np.ndarray, np.ndarray]:
    """Cast to a timestamp, value by value when Arrow refuses the batch as a whole."""
    try:
        cast = pc.cast(values, kind)
        return cast.cast(pa.int64()).to_numpy(zero_copy_only=False), np.ones(len(values), bool)
    except pa.ArrowInvalid:
        out = np.zeros(len(values), dtype=np.int64)
        good = np.zeros(len(values), dtype=bool)
        for i in range(len(values)):
            try:
                out[i] = pc.cast(values[i:i + 1], kind).cast(pa.int64())[0].as_py()
                good[i] = True
            except pa.ArrowInvalid:
                pass
        return out, good


def _millis(values: pa.Array) -> pa.Array:
    """Fractions beyond milliseconds are cut (Arrow refuses to truncate when casting)."""
    return pc.replace_substring_regex(values, r"(\.\d{3})\d+", r"\1")

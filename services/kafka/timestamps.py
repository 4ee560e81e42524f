"""Event-time normalisation: which value of a row is its event time, parsed.

Per row, the first non-empty of: the schema's analysis.timestamp_field, then order_ts,
order_time, order_date, timestamp (the retail events' names), then an event_time already
present.
That value is parsed (ISO-8601 with or without a zone, a date, epoch seconds or
milliseconds, or the schema field's own strftime format); times without a zone are UTC.
A row with all of them blank is `missing`: the replay stamps it with the send time only
when its file has none of these columns (else it is a bad row, as is one whose chosen value
does not parse).
`event_time` is then written as ISO-8601 UTC, YYYY-MM-DDTHH:MM:SS (the generator's iso
format), with .mmm only when the time has milliseconds.

All vectorised: a column is parsed with Arrow kernels, and only a batch that Arrow refuses
as a whole (a 2025-13-01 among good dates) is retried value by value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import concat
from services.extracts import iso_text
from services.schema import EPOCH_FORMATS, EPOCH_MS, EPOCH_S

EVENT_TIME = "event_time"
SEED_CANDIDATES = ("order_ts", "order_time", "order_date", "timestamp")
ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
ISO_ZONED = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
EPOCH = r"^-?\d{1,16}(?:\.\d+)?$"
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999
EPOCH_MS_FROM = 100_000_000_000  # larger epoch numbers are milliseconds (after 1973 in ms)
MS = pa.timestamp("ms")


def candidates(names: Sequence[str], schema_field: str | None) -> list[str]:
    """The columns a row's event time may come from, in order of preference."""
    order = [schema_field] if schema_field else []
    order += [*SEED_CANDIDATES, EVENT_TIME]
    present = set(names)
    return [name for i, name in enumerate(order) if name in present and name not in order[:i]]


@dataclass(frozen=True)
class EventTimes:
    ms: np.ndarray  # epoch milliseconds (0 where missing or bad)
    missing: np.ndarray  # bool: every time column blank (or none): see the module's doc
    bad: np.ndarray  # bool: the chosen value could not be parsed


def event_times(columns: Mapping[str, pa.ChunkedArray], order: Sequence[str], rows: int,
                formats: Mapping[str, str] | None = None) -> EventTimes:
    """Pick and parse each row's event time from `columns` (text, null = empty)."""
    ms = np.zeros(rows, dtype=np.int64)
    bad = np.zeros(rows, dtype=bool)
    open_rows = np.ones(rows, dtype=bool)
    for name in order:
        text = columns[name]
        has = pc.is_valid(text).to_numpy(zero_copy_only=False) & open_rows
        if not has.any():
            continue
        where = np.flatnonzero(has)
        values, ok = parse_times(text.take(where), (formats or {}).get(name))
        ms[where] = np.where(ok, values, 0)
        bad[where] = ~ok
        open_rows[where] = False
    return EventTimes(ms, open_rows, bad)


def parse_times(text: pa.Array | pa.ChunkedArray,
                fmt: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(epoch ms, parsed) for each value. `fmt` is a schema datetime format: iso (or None)
    tries the generic forms; epoch_s, epoch_ms or a strftime pattern are tried first."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks else pa.array([], pa.string())
    n = len(text)
    ms = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    todo = pc.is_valid(text).to_numpy(zero_copy_only=False).copy()
    parsers = []
    if fmt in EPOCH_FORMATS:
        parsers.append((EPOCH, lambda t, f=fmt: _epoch(t, f)))
    elif fmt and fmt != "iso":
        parsers.append((None, lambda t, f=fmt: _strptime(t, f)))
    parsers += [(ISO_NAIVE, _naive), (ISO_ZONED, _zoned), (EPOCH, _epoch)]
    for pattern, parse in parsers:
        if not todo.any():
            break
        mask = todo.copy()
        if pattern is not None:
            mask &= pc.fill_null(pc.match_substring_regex(text, pattern),
                                 False).to_numpy(zero_copy_only=False)
        where = np.flatnonzero(mask)
        if not len(where):
            continue
        values, good = parse(text.take(where))
        good &= (values >= -MAX_MS) & (values <= MAX_MS)
        ms[where[good]] = values[good]
        ok[where[good]] = True
        # A value of this shape that does not parse is bad, not another shape; a strftime
        # miss may still be ISO.
        todo[where if pattern is not None else where[good]] = False
    return ms, ok


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


def _naive(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    return _to_ms(_millis(values), MS)


def _zoned(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    return _to_ms(_millis(values), pa.timestamp("ms", "UTC"))


def _epoch(values: pa.Array, fmt: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    numbers = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    if fmt == EPOCH_S:
        millis = numbers * 1000
    elif fmt == EPOCH_MS:
        millis = numbers
    else:
        millis = np.where(np.abs(numbers) >= EPOCH_MS_FROM, numbers, numbers * 1000)
    good = np.isfinite(millis) & (np.abs(millis) <= MAX_MS)
    return np.where(good, np.floor(np.where(good, millis, 0)), 0).astype(np.int64), good


def _strptime(values: pa.Array, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    parsed = pc.strptime(values, format=fmt, unit="ms", error_is_null=True)
    good = pc.is_valid(parsed).to_numpy(zero_copy_only=False).copy()
    return pc.fill_null(parsed.cast(pa.int64()), 0).to_numpy(zero_copy_only=False), good


def iso_ms(ms: np.ndarray) -> pa.Array:
    """YYYY-MM-DDTHH:MM:SS, with .mmm where the time has milliseconds."""
    ms = np.asarray(ms, dtype=np.int64)
    seconds, fraction = np.divmod(ms, 1000)
    text = iso_text(pa.array(seconds, pa.timestamp("s")))
    if not fraction.any():
        return text
    digits = pc.utf8_lpad(pc.cast(pa.array(fraction), pa.string()), 3, "0")
    return pc.if_else(pa.array(fraction != 0), concat(text, ".", digits), text)

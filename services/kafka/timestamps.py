"""Event-time normalisation: which value of a row is its event time, parsed.

Per row, the first non-empty of: the schema's analysis.timestamp_field, then order_ts,
order_time, order_date, timestamp (the retail events' names), then an event_time already
present.
That value is parsed by the spellings every reader shares (services.extracts.times: the
field's declared format first, then ISO-8601 with or without a zone, slashed dates day
first, ...; epoch numbers only where the field's format says so); times without a zone
are UTC.
A row with all of them blank is `missing`: the replay stamps it with the send time only
when its file has none of these columns (else it is a bad row, as is one whose chosen value
does not parse).
`event_time` is then written as ISO-8601 UTC, YYYY-MM-DDTHH:MM:SS (the generator's iso
format), with .mmm only when the time has milliseconds.

All vectorised: a column is parsed with Arrow kernels (services.extracts.parse_times).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import concat
from services.extracts import iso_text, parse_times

EVENT_TIME = "event_time"
SEED_CANDIDATES = ("order_ts", "order_time", "order_date", "timestamp")
__all__ = ["EVENT_TIME", "SEED_CANDIDATES", "candidates", "event_times", "iso_ms",
           "parse_times"]


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


def iso_ms(ms: np.ndarray) -> pa.Array:
    """YYYY-MM-DDTHH:MM:SS, with .mmm where the time has milliseconds."""
    ms = np.asarray(ms, dtype=np.int64)
    seconds, fraction = np.divmod(ms, 1000)
    text = iso_text(pa.array(seconds, pa.timestamp("s")))
    if not fraction.any():
        return text
    digits = pc.utf8_lpad(pc.cast(pa.array(fraction), pa.string()), 3, "0")
    return pc.if_else(pa.array(fraction != 0), concat(text, ".", digits), text)

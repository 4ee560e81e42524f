"""Datetime columns: the text format, the window, and hour-of-day / day-of-week weights
when they differ from flat (estimated the way the generator draws them).

The formats tried are the spellings every reader accepts (services.extracts.times), with
two differences that follow from choosing a format to write back rather than reading
events: ISO-8601, one spelling for the readers, is split into the layouts the generator can
write (`iso`, with `Z`, with a space, without seconds, a date), and a column takes the first
format that all its values parse by, so day or month first is decided for the whole column
(month first when a value cannot be day first), not value by value. Arrow's strptime is
lenient here (`3/3/2025` passes `%d/%m/%Y`): the format is what the generator writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.extracts import TIME_SPELLINGS
from services.infer.samples import Text
from services.schema import EPOCH_FORMATS, EPOCH_MS, EPOCH_S

HOUR, DAY = 3600, 86_400
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
EPOCH_S_RANGE = (946_684_800, 4_102_444_800)  # 2000-01-01 .. 2100-01-01 as epoch seconds
PROBE_ROWS = 1000  # formats are tried on these first, then on every value
MIN_EFFECT = 0.05  # a profile differs from flat when a weight is 5% off and significant

# (format as the schema writes it, format to parse with); date-only ones have no clock.
ISO_LAYOUTS = (
    ("iso", "%Y-%m-%dT%H:%M:%S"),
    ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%z"),  # offsets are converted to UTC
    ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"),
    ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M"),
    ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M"),
)
TEXT_FORMATS = (
    *ISO_LAYOUTS,
    *((s.strptime, s.strptime) for s in TIME_SPELLINGS if s.strptime and "%H" in s.strptime),
    ("%Y-%m-%d", "%Y-%m-%d"),
    *((s.strptime, s.strptime) for s in TIME_SPELLINGS if s.strptime and "%H" not in s.strptime),
)


@dataclass(frozen=True)
class Times:
    format: str
    seconds: np.ndarray  # epoch seconds, UTC

    @property
    def has_clock(self) -> bool:
        return "%H" in self.format or self.format in ("iso", *EPOCH_FORMATS)


def parse_times(text: Text, integers: np.ndarray | None = None) -> Times | None:
    """The values as epoch seconds with the one format all of them have, or None.
    `integers`: the values when they are all whole numbers (epoch seconds or ms)."""
    if integers is not None:
        lo, hi = EPOCH_S_RANGE
        for fmt, scale in ((EPOCH_S, 1), (EPOCH_MS, 1000)):
            if len(integers) and lo * scale <= integers.min() and integers.max() < hi * scale:
                return Times(fmt, integers // scale)
        return None
    probe = text.slice(0, PROBE_ROWS)
    for fmt, parse_fmt in TEXT_FORMATS:
        if _parses(probe, parse_fmt):
            parsed = pc.strptime(text, format=parse_fmt, unit="s", error_is_null=True)
            if parsed.null_count == 0:
                return Times(fmt, parsed.cast(pa.int64()).to_numpy())
    return None


def _parses(text: Text, parse_fmt: str) -> bool:
    return pc.strptime(text, format=parse_fmt, unit="s", error_is_null=True).null_count == 0


def window(times: Times) -> tuple[int, int]:
    """Whole hours (whole days without a clock) around the values."""
    step = HOUR if times.has_clock else DAY
    low = int(times.seconds.min())
    high = int(times.seconds.max())
    return low - low % step, high - high % step + step - 1


def instant_text(seconds: int, whole_days: bool) -> str:
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class Seasonality:
    hour_of_day: tuple[float, ...] | None  # None: flat
    day_of_week: tuple[float, ...] | None


def seasonality(seconds: np.ndarray, low: int, high: int, has_clock: bool) -> Seasonality:
    """Weights per hour and weekday under the generator's model (a slot's share is hour
    weight x weekday weight x its length), fitted by iterative proportional fitting; each
    kept only when it differs from flat by a significant MIN_EFFECT."""
    starts = np.arange(low - low % HOUR, high + 1, HOUR, dtype=np.int64)
    counts = np.bincount((seconds - starts[0]) // HOUR, minlength=len(starts))
    hours, weekdays = (starts % DAY) // HOUR, (starts // DAY + EPOCH_WEEKDAY) % 7
    hw, dw = np.ones(24), np.ones(7)
    for _ in range(20):
        if has_clock:
            hw = _ratio(counts, hours, 24, dw[weekdays])
        dw = _ratio(counts, weekdays, 7, hw[hours])
    hour_counts = np.bincount(hours, weights=counts, minlength=24)
    day_counts = np.bincount(weekdays, weights=counts, minlength=7)
    hour_share = np.bincount(hours, weights=dw[weekdays], minlength=24)
    day_share = np.bincount(weekdays, weights=hw[hours], minlength=7)
    return Seasonality(
        _kept(hw, hour_counts, hour_share) if has_clock else None,
        _kept(dw, day_counts, day_share))


def _ratio(counts: np.ndarray, keys: np.ndarray, size: int, other: np.ndarray) -> np.ndarray:
    observed = np.bincount(keys, weights=counts, minlength=size)
    exposure = np.bincount(keys, weights=other, minlength=size)
    present = exposure > 0
    weights = np.ones(size)
    weights[present] = observed[present] / exposure[present]
    mean = weights[present].mean()
    return weights / mean if mean > 0 else np.ones(size)


def _kept(weights: np.ndarray, counts: np.ndarray, exposure: np.ndarray) -> tuple | None:
    """The weights, or None when a flat profile explains the counts: no weight is
    MIN_EFFECT away from 1, or the chi-square statistic is within 4 sigma of its mean."""
    present = exposure > 0
    if present.sum() < 2:
        return None
    expected = exposure[present] / exposure[present].sum() * counts.sum()
    chi2 = float(np.sum((counts[present] - expected) ** 2 / np.maximum(expected, 1e-9)))
    df = int(present.sum()) - 1
    if chi2 <= df + 4 * math.sqrt(2 * df) or np.max(np.abs(weights[present] - 1)) < MIN_EFFECT:
        return None
    return tuple(float(f"{w:.3g}") for w in weights)

"""Timestamps inside the time window: uniform, ramp, or with exact relative seasonality."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from services.generator import rates
from services.schema import Dataset, DatetimeField, Profile, Timeline

HOUR = 3600
DAY = 86_400
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def rate_timeline(dataset: Dataset, field: DatetimeField) -> Timeline | None:
    """The dataset's timeline where it shapes the rate of `field`'s times, else None."""
    timeline = dataset.timeline
    if timeline is None or timeline.field != field.name or not timeline.shapes_rate:
        return None
    return timeline


def epoch_seconds(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


@lru_cache(maxsize=64)
def hour_slots(profile: Profile, low: int, high: int, timeline: Timeline | None = None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clock-hour slots covering [low, high] seconds: (slot start, slot length, cumulative
    probability). A slot's probability is its hour weight x weekday weight x its length, so
    each hour of day comes out in proportion to its weight on the same number of days. With
    a timeline, slots also split at its edges and weigh its rate factor too."""
    first = low - low % HOUR
    starts = np.arange(first, high + 1, HOUR, dtype=np.int64)
    if timeline is not None:
        starts = np.union1d(starts, rates.edges(timeline, low, high))
    slot_low = np.maximum(starts, low)
    slot_high = np.minimum(np.append(starts[1:], starts[-1] + HOUR), high + 1)
    lengths = slot_high - slot_low
    hours = (starts % DAY) // HOUR
    weekdays = (starts // DAY + EPOCH_WEEKDAY) % 7
    weights = (np.asarray(profile.hour_of_day)[hours] * np.asarray(profile.day_of_week)[weekdays]
               * lengths)
    if timeline is not None:
        weights = weights * rates.factors(timeline, slot_low, slot_high)
    total = weights.sum()
    if total <= 0:
        raise ValueError("every hour inside time_window has weight 0")
    cumulative = np.cumsum(weights) / total
    return slot_low, lengths, cumulative


def sample_seconds(
    field: DatetimeField, low: int, high: int, rng: np.random.Generator,
    size: int, first_row: int, total: int, timeline: Timeline | None = None,
) -> np.ndarray:
    """Epoch seconds in [low, high] for rows first_row .. first_row + size of `total`; with a
    `timeline` that shapes the rate, as many per second as its factor says."""
    timed = timeline is not None and timeline.shapes_rate
    if field.mode == "seasonality" or (timed and field.mode == "uniform"):
        slot_low, lengths, cumulative = hour_slots(field.profile, low, high,
                                                   timeline if timed else None)
        slot = np.searchsorted(cumulative, rng.random(size), side="right")
        slot = np.minimum(slot, len(cumulative) - 1)
        offset = np.floor(rng.random(size) * lengths[slot]).astype(np.int64)
        return slot_low[slot] + offset
    if field.mode == "ramp":
        # Each block covers its share of the window, sorted inside: monotone across blocks.
        span = high - low + 1
        lo_frac, hi_frac = first_row / total, (first_row + size) / total
        fractions = lo_frac + (hi_frac - lo_frac) * np.sort(rng.random(size))
        if timed:
            fractions = fractions if field.direction == "up" else 1.0 - fractions
            return timed_seconds(fractions, low, high, timeline)
        seconds = np.minimum(low + np.floor(fractions * span).astype(np.int64), high)
        return seconds if field.direction == "up" else (low + high) - seconds
    return rng.integers(low, high + 1, size, dtype=np.int64)


def timed_seconds(u: np.ndarray, low: int, high: int, timeline: Timeline) -> np.ndarray:
    """The inverse CDF of the timeline's rate (uniform otherwise) at u: monotone in u."""
    slot_low, lengths, cumulative = hour_slots(Profile(), low, high, timeline)
    slot = np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)
    before = np.where(slot > 0, cumulative[np.maximum(slot - 1, 0)], 0.0)
    share = (u - before) / np.maximum(cumulative[slot] - before, 1e-300)
    offset = np.clip(np.floor(share * lengths[slot]), 0, lengths[slot] - 1).astype(np.int64)
    return slot_low[slot] + offset


def uniform_seconds(u: np.ndarray, low: int, high: int) -> np.ndarray:
    """The inverse CDF of mode uniform: whole seconds in [low, high] from uniforms u."""
    span = float(high - low + 1)
    return np.minimum(low + np.floor(u * span).astype(np.int64), high)


def quantile_seconds(field: DatetimeField, low: int, high: int, fractions: np.ndarray,
                     timeline: Timeline | None = None) -> np.ndarray:
    """The inverse CDF of the field's start-time distribution at `fractions` in [0, 1]: the
    hour slots' weights under seasonality or a timeline that shapes the rate (hour_slots,
    as sample_seconds draws), else uniform over the window (a ramp's order is moot where rows
    come out in time order). Monotone in the fractions, so a block given a slice of fractions
    gets the matching slice of times (services/generator/lifecycle.py)."""
    timed = timeline is not None and timeline.shapes_rate
    if field.mode != "seasonality" and not timed:
        return uniform_seconds(np.minimum(fractions, np.nextafter(1.0, 0)), low, high)
    profile = field.profile if field.mode == "seasonality" else Profile()
    slot_low, lengths, cumulative = hour_slots(profile, low, high, timeline if timed else None)
    slot = np.minimum(np.searchsorted(cumulative, fractions, side="right"),
                      len(cumulative) - 1)
    before = np.concatenate(([0.0], cumulative[:-1]))[slot]
    share = (cumulative[slot] - before)
    inside = np.clip((fractions - before) / np.where(share > 0, share, 1.0), 0.0, 1.0)
    offset = np.minimum(np.floor(inside * lengths[slot]).astype(np.int64), lengths[slot] - 1)
    return slot_low[slot] + offset


def slice_seconds(field: DatetimeField, low: int, high: int, rng: np.random.Generator,
                  size: int, first_row: int, total: int, timeline: Timeline | None = None,
                  ) -> np.ndarray:
    """Sorted times for rows first_row .. first_row + size of `total`: their quantile slice
    of the distribution, so times increase across blocks (as a `ramp` does)."""
    lo_frac, hi_frac = first_row / total, (first_row + size) / total
    fractions = np.minimum(lo_frac + (hi_frac - lo_frac) * np.sort(rng.random(size)), hi_frac)
    return quantile_seconds(field, low, high, fractions, timeline)

"""A steady growth or decline of the daily volume, as a timeline `trend` (percent a day).

The rule: a least-squares line through log(rows per day) over the whole UTC days inside the
data (the first and last day, likely cut, are left out), at least MIN_DAYS of them; the
slope is kept when it is at least MIN_PERCENT a day and at least T_MIN standard errors
from 0, the error taken from the residuals (so a weekday pattern widens it rather than
passing for a trend).

With a trend, the hour and weekday weights are fitted on the rows thinned by the trend
(`detrended`), so that a week that grows is not read as a weekday pattern as well: the
generator multiplies both."""

from __future__ import annotations

import math

import numpy as np

from services.infer.stats import significant
from services.infer.times import DAY

MIN_DAYS = 5
MIN_PERCENT = 1.0
T_MIN = 4.0


def fit_trend(seconds: np.ndarray) -> tuple[float, float] | None:
    """(percent a day, its t statistic), or None when the rule does not keep one."""
    if len(seconds) == 0:
        return None
    days = seconds // DAY
    counts = np.bincount(days - days.min()).astype(np.float64)[1:-1]
    if len(counts) < MIN_DAYS or counts.min() <= 0:
        return None
    x = np.arange(len(counts), dtype=np.float64)
    y = np.log(counts)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    spread = float(np.sum(residuals**2)) / (len(x) - 2)
    error = math.sqrt(spread / float(np.sum((x - x.mean()) ** 2)))
    t = abs(slope) / error if error > 0 else math.inf
    percent = math.expm1(slope) * 100
    if abs(percent) < MIN_PERCENT or t < T_MIN:
        return None
    return significant(percent, 3), t



def detrended(seconds: np.ndarray, percent: float, seed: int = 0) -> np.ndarray:
    """The times kept when each is kept with a probability that undoes the trend: the
    trend's factor at the earliest (growth) or latest (decline) time over its own."""
    rate = math.log1p(percent / 100) / DAY
    keep = np.exp(-rate * (seconds - seconds.min()).astype(np.float64))
    keep /= keep.max()
    return seconds[np.random.default_rng(seed).random(len(seconds)) < keep]

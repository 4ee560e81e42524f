"""Draws from an `empirical` distribution: the inverse of its quantile table, interpolated."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=256)
def _table(quantiles: tuple[float, ...]) -> np.ndarray:
    return np.asarray(quantiles, dtype=np.float64)


def draw_quantiles(quantiles: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    """Uniform draws in [0, 1) mapped through the piecewise-linear inverse CDF whose knots
    are the evenly spaced quantiles: between two knots values are spread evenly, and equal
    knots (a value many rows share) give that value exactly."""
    table = _table(quantiles)
    position = u * (len(table) - 1)
    index = np.minimum(position.astype(np.int64), len(table) - 2)
    fraction = position - index
    low = table[index]
    return low + fraction * (table[index + 1] - low)

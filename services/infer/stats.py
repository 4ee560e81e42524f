"""The statistics inference and comparison share: distances between distributions,
Cramér's V, the normal CDF, and rounding for a file people read."""

from __future__ import annotations

import math

import numpy as np


def significant(value: float, digits: int = 4) -> float | int:
    """A number rounded to `digits` significant digits; a whole result as an int."""
    if value == 0 or not math.isfinite(value):
        return 0
    rounded = float(f"{value:.{digits}g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z) by the Abramowitz-Stegun 7.1.26 erf (error < 1.5e-7): numpy has no erf."""
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def ks_to_cdf(sorted_values: np.ndarray, cdf: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the sample (sorted) and a model's CDF at it."""
    n = len(sorted_values)
    if n == 0:
        return 0.0
    upper = np.arange(1, n + 1) / n
    return float(max(np.max(upper - cdf), np.max(cdf - (upper - 1.0 / n))))


def ks_to_uniform_ints(sorted_values: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between integers (sorted) and the uniform integers from
    their minimum to their maximum. Both CDFs are steps at integers, so the largest gap is
    at a value of the sample or at the integer just below one (where the sample's CDF has
    not risen yet and the model's has): a sample holding each integer equally often is at
    distance 0, however few the integers."""
    n = len(sorted_values)
    if n == 0:
        return 0.0
    lo = sorted_values[0]
    values, first = np.unique(sorted_values, return_index=True)
    width = float(sorted_values[-1] - lo) + 1.0
    offset = (values - lo).astype(np.float64)
    below = np.abs(first / n - offset / width)  # at v - 1: the values under v
    at = np.abs(np.append(first[1:], n) / n - (offset + 1) / width)  # at v: up to v
    return float(max(below.max(), at.max()))


def ks_two_samples(a: np.ndarray, b: np.ndarray) -> float:
    """Largest gap between the two empirical CDFs (ties handled: evaluated at every value)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0 if len(a) == len(b) else 1.0
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


CHANCE = math.sqrt(2 / math.pi)  # E|Z| of a standard normal Z


def chance_tv(shares: np.ndarray, draws_a: int, draws_b: int) -> float:
    """The total variation two samples of `draws_a` and `draws_b` draws from `shares` show
    by chance alone: over the values, E|difference| = sqrt(2/pi) sd, summed and halved. A
    TV target beyond it judges small samples fairly (a few hundred rows over three values
    differ by some 0.03 with nothing wrong)."""
    shares = np.asarray(shares, dtype=float)
    spread = shares * (1 - shares) * (1 / max(draws_a, 1) + 1 / max(draws_b, 1))
    return 0.5 * CHANCE * float(np.sqrt(spread).sum())


def total_variation(p: dict[str, float], q: dict[str, float]) -> float:
    """Half the summed absolute difference of two distributions over the union of values."""
    keys = set(p) | set(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)


def cramers_v(codes_a: np.ndarray, size_a: int, codes_b: np.ndarray, size_b: int) -> float:
    """Association of two coded categorical columns, 0 (independent) to 1 (one decides the
    other), from their contingency table."""
    n = len(codes_a)
    if n == 0 or min(size_a, size_b) < 2:
        return 0.0
    table = np.bincount(codes_a * size_b + codes_b, minlength=size_a * size_b)
    table = table.reshape(size_a, size_b).astype(np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]  # values never seen
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    k = min(len(rows), len(cols))
    if k < 2:
        return 0.0
    chi2 = n * (np.sum(table**2 / np.outer(rows, cols)) - 1.0)
    return float(math.sqrt(max(chi2, 0.0) / (n * (k - 1))))

"""Numeric columns: the best of the generator's families by Kolmogorov-Smirnov distance, or
an empirical quantile table where none comes within FIT_KS."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from services.infer.samples import Text
from services.infer.stats import ks_to_cdf, ks_to_uniform_ints, normal_cdf, significant

FIT_KS = 0.02  # a family is used when its KS distance to the sample is at most this
QUANTILES = 101  # knots of an empirical table: the minimum, each percentile, the maximum


@dataclass(frozen=True)
class Fit:
    family: str
    params: dict[str, float | int]
    ks: float
    closest: str = ""  # of an empirical fit: the family that came nearest

    def note(self) -> str:
        if self.family == "empirical":
            return (f"empirical: the closest family, {self.closest}, is {self.ks:.4f} away "
                    f"by KS (more than {FIT_KS})")
        return f"{self.family}: KS distance {self.ks:.4f}"


def decimals_of(text: Text) -> int | None:
    """Digits after the point at most (None when some value is in exponent notation)."""
    if len(text) == 0 or pc.any(pc.match_substring_regex(text, "[eE]")).as_py():
        return None
    dot = pc.find_substring(text, ".").to_numpy(zero_copy_only=False)
    length = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    return int(min(np.max(np.where(dot >= 0, length - dot - 1, 0)), 15))


def fit_float(values: np.ndarray, decimals: int | None) -> Fit:
    """The family closest to the values, or an empirical table when none is within FIT_KS."""
    x = np.sort(values)
    fits = [_uniform(x), _normal(x)]
    if x[0] > 0:
        fits.append(_lognormal(x))
    if x[0] >= 0:
        fits.append(_exponential(x))
    best = min(fits, key=lambda f: f.ks)
    if best.ks <= FIT_KS:
        return best
    return Fit("empirical", {"quantiles": quantile_table(x, decimals)}, best.ks, best.family)


def fit_int(values: np.ndarray) -> Fit:
    """Uniform integers from min to max when they fit, else an empirical table."""
    x = np.sort(values)
    lo, hi = int(x[0]), int(x[-1])
    ks = ks_to_uniform_ints(x)
    if ks <= FIT_KS:
        return Fit("uniform", {"min": lo, "max": hi}, ks)
    table = np.quantile(x, np.linspace(0, 1, QUANTILES), method="inverted_cdf")
    return Fit("empirical", {"quantiles": [int(v) for v in table]}, ks, "uniform")


def quantile_table(sorted_values: np.ndarray, decimals: int | None) -> list[float | int]:
    table = np.quantile(sorted_values, np.linspace(0, 1, QUANTILES))
    if decimals is not None:
        return [int(v) if decimals == 0 else float(v) for v in np.round(table, decimals)]
    return [significant(float(v), 6) for v in table]


def _uniform(x: np.ndarray) -> Fit:
    lo, hi = float(x[0]), float(x[-1])
    cdf = (x - lo) / (hi - lo) if hi > lo else np.ones(len(x))
    return Fit("uniform", {"min": significant(lo, 6), "max": significant(hi, 6)},
               ks_to_cdf(x, cdf))


def _normal(x: np.ndarray) -> Fit:
    mean, std = float(x.mean()), float(x.std())
    cdf = normal_cdf((x - mean) / std) if std > 0 else np.ones(len(x))
    return Fit("normal", {"mean": significant(mean), "stddev": significant(std)},
               ks_to_cdf(x, cdf))


def _lognormal(x: np.ndarray) -> Fit:
    logs = np.log(x)
    mean, std = float(logs.mean()), float(logs.std())
    cdf = normal_cdf((logs - mean) / std) if std > 0 else np.ones(len(x))
    return Fit("lognormal", {"mean": significant(mean), "stddev": significant(std)},
               ks_to_cdf(x, cdf))


def _exponential(x: np.ndarray) -> Fit:
    mean = float(x.mean())
    rate = 1.0 / mean if mean > 0 else math.inf
    cdf = 1.0 - np.exp(-rate * x) if math.isfinite(rate) else np.ones(len(x))
    return Fit("exponential", {"lambda": significant(rate)}, ks_to_cdf(x, cdf))

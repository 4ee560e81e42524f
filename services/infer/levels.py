"""A number whose distribution changes with a category (a price with the cut of the gem, a
life expectancy with the continent): `conditional_on` + `conditional_table` on the int or
float field, one distribution per level (docs/SCHEMA_FORMAT.md).

A level gets its own entry when it holds LEVEL_SHARE of the rows and LEVEL_MIN_ROWS rows at
least; the other levels (and empty ones) share `_default`. Of the label columns, the one
whose levels (so grouped) explain most of the number's ranks is used, when its correlation
ratio eta^2 reaches ETA2_MIN or a level's mean stands out (MEAN_SHIFT, beyond chance).
Each entry is the number's own model fitted to the level's values: a family when one
fits, else an empirical table with fewer knots for a small level. Within a level of
NEST_MIN_ROWS rows or more, another label that explains the number there by the same rule
(a car's origin within four cylinders) makes that entry a table of its own (`nested`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from services.infer.numbers import QUANTILES, fit_float, fit_int
from services.infer.ranks import rank_shares
from services.infer.stats import significant

ETA2_MIN = 0.1  # share of the number's rank variance the levels explain, or...
MEAN_SHIFT = 0.05  # ...a level's mean this far from the whole column's (relative)...
SHIFT_Z = 4.0  # ...and this many standard errors: a shift chance does not explain
LEVEL_SHARE = 0.01  # a level with at least this share of the rows...
LEVEL_MIN_ROWS = 20  # ...and this many rows has its own entry
MIN_KNOTS = 11  # knots of a small level's empirical table (a knot per ROWS_PER_KNOT rows)
ROWS_PER_KNOT = 10
NEST_MIN_ROWS = 2 * LEVEL_MIN_ROWS  # a level split again by another label has this many rows
OWN_MIN_ROWS = 5  # a `_default` of fewer rows than this is fitted to all the table's rows
DISTRIBUTION_KEYS = ("distribution", "min", "max", "skew", "mean", "stddev", "lambda",
                     "quantiles")


@dataclass(frozen=True)
class Labels:
    """A label column as the generator writes it: each row's level (-1 when empty) and the
    text of each level."""

    name: str
    codes: np.ndarray
    keys: list[str]


@dataclass(frozen=True)
class Grouping:
    """A number's rows grouped by the levels of `source`: group g < len(keys) is level
    keys[g], group len(keys) is `_default`. `nested` holds, for a group split again, the
    positions of its rows and their grouping by another label."""

    source: str
    groups: np.ndarray
    keys: list[str]
    eta2: float
    nested: dict[int, tuple[np.ndarray, Grouping]] = field(default_factory=dict)

    @property
    def sources(self) -> tuple[str, ...]:
        inner = (s for _, g in self.nested.values() for s in g.sources)
        return tuple(dict.fromkeys((self.source, *inner)))

    def leaves(self) -> np.ndarray:
        """Each row's innermost group, numbered across the whole table."""
        out = self.groups.astype(np.int64).copy()
        top = len(self.keys) + 1
        for rows, inner in self.nested.values():
            within = inner.leaves()
            out[rows] = top + within
            top += int(within.max()) + 1
        return out


def grouping(labels: Labels, rows: int) -> tuple[np.ndarray, list[str]]:
    """Each row's group: its level when that level is kept, else the default group."""
    counts = np.bincount(labels.codes[labels.codes >= 0], minlength=len(labels.keys))
    kept = np.flatnonzero(counts >= max(LEVEL_SHARE * rows, LEVEL_MIN_ROWS))
    kept = kept[np.argsort(-counts[kept], kind="stable")]
    index = np.full(len(labels.keys) + 1, len(kept), dtype=np.int64)  # last: empty rows
    index[kept] = np.arange(len(kept))
    return index[labels.codes], [labels.keys[k] for k in kept]


def eta_squared(shares: np.ndarray, groups: np.ndarray, size: int) -> float:
    """Between-group share of the variance of the (rank) values, over the present ones."""
    present = ~np.isnan(shares)
    x, g = shares[present], groups[present]
    if len(x) < 2:
        return 0.0
    total = float(np.sum((x - x.mean()) ** 2))
    if total <= 0:
        return 0.0
    n = np.bincount(g, minlength=size).astype(np.float64)
    sums = np.bincount(g, weights=x, minlength=size)
    means = np.divide(sums, n, out=np.zeros(size), where=n > 0)
    return float(np.sum(n * (means - x.mean()) ** 2) / total)


def shifted(values: np.ndarray, groups: np.ndarray, size: int) -> bool:
    """Whether some kept level's mean is MEAN_SHIFT away from the column's (relative to the
    column's mean, or to its spread when the mean is near 0) by more than SHIFT_Z standard
    errors: a level whose mean a draw ignoring levels would get wrong."""
    present = ~np.isnan(values)
    x, g = values[present], groups[present]
    if len(x) < 2:
        return False
    n = np.bincount(g, minlength=size).astype(np.float64)[:size - 1]
    sums = np.bincount(g, weights=x, minlength=size)[:size - 1]
    squares = np.bincount(g, weights=x * x, minlength=size)[:size - 1]
    ok = n >= 2
    means = sums[ok] / n[ok]
    spread = np.sqrt(np.maximum(squares[ok] / n[ok] - means**2, 0.0) / n[ok])
    scale = max(abs(float(x.mean())), 0.1 * float(x.std()))
    gap = np.abs(means - x.mean())
    return bool(np.any((gap > MEAN_SHIFT * scale) & (gap > SHIFT_Z * spread)))


def best_grouping(values: np.ndarray, shares: np.ndarray, candidates: list[Labels],
                  rows: int) -> Grouping | None:
    """The candidate whose kept levels explain most of the number (eta^2 of its ranks), of
    those that reach ETA2_MIN or shift a level's mean (`shifted`)."""
    best = None
    for labels in candidates:
        groups, keys = grouping(labels, rows)
        if not keys or (len(keys) == 1 and not np.any(groups == 1)):
            continue  # one level for every row explains nothing
        eta2 = eta_squared(shares, groups, len(keys) + 1)
        if (best is None or eta2 > best.eta2) and (
                eta2 >= ETA2_MIN or shifted(values, groups, len(keys) + 1)):
            best = Grouping(labels.name, groups, keys, eta2)
    return best


def nest(values: np.ndarray, grouping: Grouping, candidates: list[Labels]) -> Grouping:
    """`grouping` with each level of NEST_MIN_ROWS rows or more split again by the other
    label that explains the number best within it (best_grouping on the level's rows)."""
    others = [c for c in candidates if c.name != grouping.source]
    for g in range(len(grouping.keys)):
        rows = np.flatnonzero(grouping.groups == g)
        if len(rows) < NEST_MIN_ROWS:
            continue
        x = values[rows]
        inner = best_grouping(x, rank_shares(x)[0],
                              [Labels(c.name, c.codes[rows], c.keys) for c in others],
                              len(rows))
        if inner is not None:
            grouping.nested[g] = (rows, inner)
    return grouping


def level_table(values: np.ndarray, grouping: Grouping, whole: bool,
                decimals: int | None) -> dict[str, dict]:
    """One entry per kept level and `_default` (the other rows; all rows when those are
    too few to fit), each the parameters the field takes at its top level or, for a level
    split again, its own table."""
    present = ~np.isnan(values)
    table = {}
    for g, key in enumerate([*grouping.keys, "_default"]):
        if g in grouping.nested:
            rows, inner = grouping.nested[g]
            table[key] = {"conditional_on": inner.source,
                          "conditional_table": level_table(values[rows], inner, whole,
                                                           decimals)}
            continue
        x = values[present & (grouping.groups == g)]
        if len(x) < OWN_MIN_ROWS:  # a default of a few rows, or a level mostly empty
            x = values[present]
        table[key] = fitted(x, whole, decimals)
    return table


def fitted(x: np.ndarray, whole: bool, decimals: int | None) -> dict:
    """The distribution of these values as an int or float field states it."""
    knots = int(min(QUANTILES, max(MIN_KNOTS, len(x) // ROWS_PER_KNOT + 1)))
    if whole:
        fit = fit_int(x.astype(np.int64))
        if fit.family == "uniform":
            return dict(fit.params)
        table = np.quantile(np.sort(x), np.linspace(0, 1, knots), method="inverted_cdf")
        return {"distribution": "empirical", "quantiles": [int(v) for v in table]}
    fit = fit_float(x, decimals)
    if fit.family != "empirical":
        return {"distribution": fit.family, **fit.params}
    table = np.quantile(np.sort(x), np.linspace(0, 1, knots))
    if decimals is not None and decimals <= 6:
        knots_out = [int(v) if decimals == 0 else float(v) for v in np.round(table, decimals)]
    else:
        knots_out = [significant(float(v), 6) for v in table]
    return {"distribution": "empirical", "quantiles": knots_out}


def per_level_field(field: dict, table: dict[str, dict], source: str) -> dict:
    """The field with its own distribution replaced by the per-level table."""
    kept = {k: v for k, v in field.items() if k not in DISTRIBUTION_KEYS}
    return {**kept, "conditional_on": source, "conditional_table": table}

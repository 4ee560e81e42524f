"""Numbers that move together: Spearman rank correlations between number (and evenly spread
datetime) columns, grouped into `correlations` blocks the generator draws through a
Gaussian copula (docs/SCHEMA_FORMAT.md).

Columns joined by |rho| >= BLOCK_RHO are one block (connected components, the strongest
links first, at most BLOCK_MAX columns a block). The matrix written is checked the way the
generator checks it (r = 2 sin(pi rho / 6) positive semi-definite); one that is not, as
pairwise correlations over different rows or rounding can make it, is replaced by the
nearest valid one (eigenvalues clipped, diagonal rescaled).

A lookup of numbers (an entity's attribute) joins at most one block, as its one lookup,
with numbers declared after it whose levels are of no other field of its entity (the
generator draws them given the lookup's rank, so their margins hold within `within` only)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BLOCK_RHO = 0.3  # rank correlation at which two columns are drawn together
BLOCK_MAX = 12  # columns in one block at most: a matrix a person can still read
DIGITS = 3  # decimals of the rank correlations written
EIGEN_FLOOR = 1e-3  # smallest eigenvalue of a repaired Gaussian matrix
MIN_ROWS = 10  # rows where both values are present, for a correlation to be measured
SIGNIFICANCE_T = 2.0  # |t| of a lookup's rho over its entities (about p < 0.05) to be kept


@dataclass(frozen=True)
class Ranked:
    """One column on the rank scale: `shares` its values' mid-rank shares (NaN where empty;
    within its level for a per-level number), `ties` its tie factor (ranks.rank_shares)."""

    name: str
    shares: np.ndarray
    ties: float = 1.0
    overall: np.ndarray | None = None  # of a per-level number: its ranks among all values
    level_of: tuple[str, ...] = ()  # ...and the labels its levels are of
    entity: tuple[str, ...] = ()  # of a lookup: its ref and the ref's lookups
    within: str | None = None  # ...and the one its ranks were taken within the levels of,
    levels: np.ndarray | None = None  # each row's level of it (-1: none; all 0 without),
    level_keys: tuple[str, ...] = ()  # and the levels as CSV shows them


def rank_matrix(columns: list[Ranked]) -> np.ndarray:
    """Spearman's rho of every pair: the Pearson correlation of the rank shares over the
    rows where both are present (0 where fewer than MIN_ROWS are, or one is constant)."""
    k = len(columns)
    rho = np.eye(k)
    present = [~np.isnan(c.shares) for c in columns]
    full = all(p.all() for p in present)
    if full and k:
        x = np.stack([c.shares for c in columns])
        x = x - x.mean(axis=1, keepdims=True)
        norms = np.sqrt(np.sum(x * x, axis=1))
        cov = x @ x.T
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = cov / np.outer(norms, norms)
        rho = np.where(np.isfinite(rho), rho, 0.0)
        np.fill_diagonal(rho, 1.0)
        return np.clip(rho, -1.0, 1.0)
    for i in range(k):
        for j in range(i + 1, k):
            both = present[i] & present[j]
            if both.sum() < MIN_ROWS:
                continue
            a, b = columns[i].shares[both], columns[j].shares[both]
            a, b = a - a.mean(), b - b.mean()
            denom = math.sqrt(float(a @ a) * float(b @ b))
            rho[i, j] = rho[j, i] = float(a @ b) / denom if denom > 0 else 0.0
    return np.clip(rho, -1.0, 1.0)


def blocks_of(rho: np.ndarray, threshold: float = BLOCK_RHO, cap: int = BLOCK_MAX
              ) -> list[list[int]]:
    """Groups of column indexes linked by |rho| >= threshold: the strongest links are
    joined first and a link that would make a group larger than `cap` is skipped. Each
    group in column order, groups by their first column."""
    k = len(rho)
    parent = list(range(k))
    size = [1] * k

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links = sorted(((abs(rho[i, j]), i, j) for i in range(k) for j in range(i + 1, k)
                    if abs(rho[i, j]) >= threshold), reverse=True)
    for _, i, j in links:
        a, b = root(i), root(j)
        if a != b and size[a] + size[b] <= cap:
            parent[b] = a
            size[a] += size[b]
    groups: dict[int, list[int]] = {}
    for i in range(k):
        groups.setdefault(root(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def gaussian(rho: np.ndarray) -> np.ndarray:
    """The copula's Pearson matrix for rank correlations rho (the generator's formula)."""
    return 2.0 * np.sin(np.pi * rho / 6.0)


def spearman_of(r: np.ndarray) -> np.ndarray:
    return 6.0 / np.pi * np.arcsin(np.clip(r / 2.0, -0.5, 0.5))


def smallest_eigenvalue(rho: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(gaussian(rho))[0])


def nearest_correlation(r: np.ndarray, floor: float = EIGEN_FLOOR) -> np.ndarray:
    """A correlation matrix near r whose eigenvalues are all >= about `floor`: negative
    and tiny eigenvalues raised to it, then the diagonal scaled back to 1."""
    values, vectors = np.linalg.eigh((r + r.T) / 2.0)
    fixed = (vectors * np.maximum(values, floor)) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(fixed))
    fixed = fixed * np.outer(scale, scale)
    np.fill_diagonal(fixed, 1.0)
    return fixed


def valid_rank_matrix(rho: np.ndarray) -> tuple[np.ndarray, bool]:
    """`rho` rounded to DIGITS decimals, or the nearest matrix whose rounded Gaussian form
    is positive semi-definite (a little shrinking toward the identity when rounding alone
    breaks it); and whether it had to be repaired."""
    rounded = _rounded(rho)
    if smallest_eigenvalue(rounded) >= 0:
        return rounded, False
    r = nearest_correlation(gaussian(rho))
    for shrink in (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0):
        candidate = _rounded(spearman_of((1 - shrink) * r + shrink * np.eye(len(r))))
        if smallest_eigenvalue(candidate) >= 0:
            return candidate, True
    raise AssertionError("the identity is a valid correlation matrix")


def _rounded(rho: np.ndarray) -> np.ndarray:
    out = np.round((rho + rho.T) / 2.0, DIGITS)
    np.fill_diagonal(out, 1.0)
    return out


def correlation_blocks(columns: list[Ranked]) -> list[dict]:
    """The `correlations` entries for these columns: each block's fields and rank
    correlations, measured rho divided by the two columns' tie factors (what the copula
    must be drawn at for the measured rho to come out), repaired when not valid. Columns
    are linked by their rho on the rank scale given or, for per-level numbers, by the one
    among all values: a pair whose levels carry part of its link is still drawn together."""
    if len(columns) < 2:
        return []
    measured = rank_matrix(columns)
    links = np.abs(measured)
    if any(c.overall is not None for c in columns):
        whole = rank_matrix([Ranked(c.name, c.shares if c.overall is None else c.overall)
                             for c in columns])
        links = np.maximum(links, np.abs(whole))
        for i, a in enumerate(columns):  # a number's own levels carry its link to them
            for j, b in enumerate(columns):
                if a.name in b.level_of:
                    links[i, j] = links[j, i] = abs(measured[i, j])
    _unlink_lookups(columns, links)
    out = []
    for block in blocks_of(links):
        block = _one_lookup(block, columns, links)
        entry = _entry(block, columns, measured) if len(block) > 1 else None
        if entry is not None:
            out.append(entry)
    return out


def _entry(block: list[int], columns: list[Ranked], measured: np.ndarray) -> dict | None:
    """One block's entry (None when dropping a lookup that nothing depends on leaves one
    column)."""
    ties = np.array([columns[i].ties for i in block])
    target = np.clip(measured[np.ix_(block, block)] / np.outer(ties, ties), -0.999, 0.999)
    np.fill_diagonal(target, 1.0)
    at = next((k for k, i in enumerate(block) if columns[i].entity), None)
    per_level: dict[str, np.ndarray] = {}
    if at is not None:
        target, per_level = _lookup_rows(block, at, columns, target, ties)
        alone = [k for k in range(len(block)) if all(
            not np.any(np.round(m[k, np.arange(len(block)) != k], DIGITS))
            for m in [target, *per_level.values()])]
        if alone:  # linked only through the lookup's levels: nothing to draw together
            block = [i for k, i in enumerate(block) if k not in alone]
            return _entry(block, columns, measured) if len(block) > 1 else None
    matrix, repaired = valid_rank_matrix(target)
    entry = {"fields": [columns[i].name for i in block],
             "rank_correlation": [[_plain(v) for v in row] for row in matrix]}
    lookup = columns[block[at]] if at is not None else None
    if lookup is not None and lookup.within:
        entry["within"] = lookup.within
    if per_level:
        entry["per_level"] = {}
        for level, level_target in per_level.items():
            level_matrix, fixed = valid_rank_matrix(level_target)
            entry["per_level"][level] = [[_plain(v) for v in row] for row in level_matrix]
            repaired = repaired or fixed
    notes = [f"Spearman's rank correlations; columns linked by |rho| >= {BLOCK_RHO}"]
    per_level_numbers = [columns[i].name for i in block
                         if columns[i].overall is not None and not columns[i].entity]
    if per_level_numbers:
        notes.append(f"{', '.join(per_level_numbers)} ranked within their level (their "
                     "levels carry the rest)")
    if lookup is not None:
        notes.append(f"{lookup.name}, one value per {lookup.entity[0]}, ranked "
                     + (f"within its {lookup.within}" if lookup.within else "overall")
                     + f"; the others drawn given it where its rho over the {lookup.entity[0]}"
                     f" values is significant (|t| >= {SIGNIFICANCE_T})"
                     + (", per level where a level's own is" if per_level else ""))
    if np.any(ties < 0.999):
        notes.append("ties among few distinct values accounted for")
    if repaired:
        notes.append("repaired to the nearest valid correlation matrix")
    entry["description"] = "; ".join(notes)
    return entry


def _lookup_rows(block: list[int], at: int, columns: list[Ranked], target: np.ndarray,
                 ties: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The lookup's row kept only where significant over the entities (not the rows: an
    entity's rows repeat its value), pooled over its levels; and a matrix for each level
    whose own significant row differs from that."""
    lookup = columns[block[at]]
    others = [k for k in range(len(block)) if k != at]
    target = target.copy()
    pooled = _significant_row(lookup, [columns[block[k]] for k in others], None)
    target[at, others] = target[others, at] = pooled / (ties[at] * ties[others])
    per_level = {}
    for code, key in enumerate(lookup.level_keys):
        row = _significant_row(lookup, [columns[block[k]] for k in others], code)
        row = np.clip(row / (ties[at] * ties[others]), -0.999, 0.999)
        if np.any(np.round(row, DIGITS) != np.round(target[at, others], DIGITS)):
            level = target.copy()
            level[at, others] = level[others, at] = row
            per_level[key] = level
    return target, per_level


def _significant_row(lookup: Ranked, others: list[Ranked], code: int | None) -> np.ndarray:
    """The lookup's rho with each of `others` over the rows of level `code` (all rows when
    None), 0 where not significant over the entities there."""
    rows = ~np.isnan(lookup.shares)
    if code is not None:
        rows &= lookup.levels == code
    entities = len(np.unique(lookup.levels[rows] + lookup.shares[rows]))  # (level, rank)
    if entities < 3:
        return np.zeros(len(others))
    rho = rank_matrix([Ranked(c.name, c.shares[rows]) for c in [lookup, *others]])[0, 1:]
    t = np.abs(rho) * np.sqrt((entities - 2) / np.maximum(1.0 - rho**2, 1e-12))
    return np.where(t >= SIGNIFICANCE_T, rho, 0.0)


def _unlink_lookups(columns: list[Ranked], links: np.ndarray) -> None:
    """A lookup is linked, as a per-level number is, by its rho within levels or among
    all values, but only to columns it may share a block with (_fits)."""
    for i, a in enumerate(columns):
        if a.entity:
            for j in range(len(columns)):
                if j != i and not _fits(columns, i, j):
                    links[i, j] = links[j, i] = 0.0


def _fits(columns: list[Ranked], lookup: int, j: int) -> bool:
    """Column j may be drawn given the lookup: not a lookup, declared after it, and not
    per level of another field of its entity than the one it is ranked within."""
    a, b = columns[lookup], columns[j]
    return not b.entity and j > lookup and not set(b.level_of) & (set(a.entity) - {a.within})


def _one_lookup(block: list[int], columns: list[Ranked], links: np.ndarray) -> list[int]:
    """The block with one lookup at most, one every other member fits with (linked
    through a third column, it may not): the one most strongly linked inside it."""
    lookups = [i for i in block if columns[i].entity and all(
        _fits(columns, i, j) for j in block if j != i and not columns[j].entity)]
    keep = max(lookups, key=lambda i: max(links[i, j] for j in block if j != i),
               default=None)
    return [i for i in block if i == keep or not columns[i].entity]


def _plain(value: float) -> float | int:
    return 1 if value == 1.0 else float(value) + 0.0  # no -0.0

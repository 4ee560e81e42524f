"""The Gaussian copula of a `correlations` block: one uniform per field and row, drawn
together so that the fields' ranks move together as declared.

Per block of rows, the block's own stream (`Correlation.stream`) gives k standard normal
rows g; z = L g with L L^T = R (the copula's Pearson matrix); u = Phi(z). Each field then
turns its u into a value through its own inverse CDF (numbers.py, datetimes.py), so its
distribution is unchanged whatever the block. z is summed column by column in a fixed order
(no BLAS), so it is the same bytes in every process.

A block with a lookup (an entity's attribute) is drawn once that lookup's column is made:
its u is the attribute's rank at the row's entity (its share of the entity rows below it,
weighted as the ref picks them, within the entity's level of `within` when given, plus a
uniform draw across its own share: exactly uniform, in every level), and the other members
are drawn given z_L = Phi^-1(u) from the Gaussian conditional:
z = R[., L] z_L + C g with C C^T = R[rest, rest] - R[rest, L] R[L, rest]. Every level of
`within` then sees every member's margin unchanged.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from services.generator.block import RANKS, Block
from services.generator.normal import ndtr, ndtri
from services.schema import Correlation

# u stays strictly inside (0, 1): every inverse CDF is finite there.
U_LOW, U_HIGH = 2.0**-60, 1.0 - 2.0**-53


@lru_cache(maxsize=64)
def factor(correlation: Correlation) -> np.ndarray:
    """L with L L^T = R (the copula's matrix)."""
    return _lower(np.array(correlation.gaussian, dtype=np.float64))


def _lower(matrix: np.ndarray) -> np.ndarray:
    """L with L L^T = matrix: Cholesky's, or, for a singular one (a field that is an exact
    function of others), from the eigen-decomposition with negative rounding clipped to 0
    and each row scaled back to its variance (so each z keeps its spread)."""
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(matrix)
        lower = vectors * np.sqrt(np.clip(values, 0.0, None))
        norms = np.linalg.norm(lower, axis=1, keepdims=True)
        scale = np.sqrt(np.clip(np.diag(matrix), 0.0, None))[:, None]
        return np.divide(lower * scale, norms, out=np.zeros_like(lower), where=norms > 0)


@lru_cache(maxsize=64)
def conditional(correlation: Correlation, which: int = 0,
                ) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """The members other than the lookup (their indexes), their R[., L] and the factor of
    their covariance given the lookup, under the block's matrix `which` (0: its
    rank_correlation, i: its i-th level's of per_level)."""
    matrix = np.array(correlation.gaussian_at(which), dtype=np.float64)
    at = correlation.fields.index(correlation.lookup)
    rest = tuple(i for i in range(len(matrix)) if i != at)
    given = matrix[list(rest), at]
    covariance = matrix[np.ix_(rest, rest)] - np.outer(given, given)
    return rest, given, _lower(covariance)


def copula_uniforms(correlations: tuple[Correlation, ...], block: Block,
                    after: str | None = None) -> dict[str, np.ndarray]:
    """Each blocked field's uniforms for this block of rows: of the blocks without a
    lookup, or (`after` a lookup's column is made) of the block with that lookup."""
    out: dict[str, np.ndarray] = {}
    for correlation in correlations:
        if correlation.lookup != after:
            continue
        size = len(correlation.fields) - (after is not None)
        normals = block.rng(correlation.stream).standard_normal((size, block.size))
        if after is None:
            z = _normals(factor(correlation), normals, range(size))
        else:
            z = _given_lookup(correlation, block, normals)
        for i, name in enumerate(n for n in correlation.fields if n != after):
            out[name] = np.clip(ndtr(z[i]), U_LOW, U_HIGH)
    return out


def _normals(lower: np.ndarray, normals: np.ndarray, members, z_lookup=None, given=None,
             ) -> np.ndarray:
    """z = given z_lookup + lower g for each member, summed column by column in order."""
    z = np.zeros((len(lower), normals.shape[1]))
    for i in members:
        if given is not None and given[i] != 0.0:
            z[i] += given[i] * z_lookup
        for j in np.flatnonzero(lower[i]):
            z[i] += lower[i, j] * normals[j]
    return z


def _given_lookup(correlation: Correlation, block: Block, normals: np.ndarray) -> np.ndarray:
    """The other members' z given the lookup's, each row under its level's matrix."""
    z_lookup = ndtri(lookup_uniforms(correlation, block))
    if not correlation.per_level:
        _, given, lower = conditional(correlation)
        return _normals(lower, normals, range(len(lower)), z_lookup, given)
    which = lookup_levels(correlation, block) + 1  # 0: rank_correlation
    z = np.zeros(normals.shape)
    for level in range(len(correlation.per_level) + 1):
        rows = np.flatnonzero(which == level)
        if len(rows):
            _, given, lower = conditional(correlation, level)
            z[:, rows] = _normals(lower, normals[:, rows], range(len(lower)),
                                  z_lookup[rows], given)
    return z


def _entity(correlation: Correlation, block: Block):
    field = block.dataset.field(correlation.lookup)
    ref = block.dataset.field(field.ref)
    return field, ref, block.entities[ref.entity]


def lookup_uniforms(correlation: Correlation, block: Block) -> np.ndarray:
    """The lookup's u in each row: its entity's share below it (within its level) plus a
    uniform draw across the entity's own share."""
    field, ref, entity = _entity(correlation, block)
    within = block.dataset.field(correlation.within).attribute if correlation.within else None
    low, width = entity.rank_slots(field.attribute, within, ref.popularity)
    rows = block.rows[field.ref]
    u = low[rows] + width[rows] * block.rng(correlation.stream, RANKS).random(block.size)
    return np.clip(u, U_LOW, U_HIGH)


def lookup_levels(correlation: Correlation, block: Block) -> np.ndarray:
    """Each row's position in per_level of its entity's level of `within` (-1: unlisted)."""
    field, _, entity = _entity(correlation, block)
    within = block.dataset.field(correlation.within)
    keys = tuple(level for level, _ in correlation.per_level)
    return entity.level_index(within, keys)[block.rows[field.ref]]

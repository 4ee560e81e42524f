"""The Gaussian copula of a `correlations` block: one uniform per field and row, drawn
together so that the fields' ranks move together as declared.

Per block of rows, the block's own stream (`Correlation.stream`) gives k standard normal
rows g; z = L g with L L^T = R (the copula's Pearson matrix); u = Phi(z). Each field then
turns its u into a value through its own inverse CDF (numbers.py, datetimes.py), so its
distribution is unchanged whatever the block. z is summed column by column in a fixed order
(no BLAS), so it is the same bytes in every process.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtr

from services.generator.block import Block
from services.schema import Correlation

# u stays strictly inside (0, 1): every inverse CDF is finite there.
U_LOW, U_HIGH = 2.0**-60, 1.0 - 2.0**-53


@lru_cache(maxsize=64)
def factor(correlation: Correlation) -> np.ndarray:
    """L with L L^T = R: Cholesky's, or, for a singular R (a field that is an exact
    function of others), from the eigen-decomposition with negative rounding clipped to 0
    and each row scaled back to unit length (so each z is still standard normal)."""
    matrix = np.array(correlation.gaussian, dtype=np.float64)
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(matrix)
        lower = vectors * np.sqrt(np.clip(values, 0.0, None))
        return lower / np.linalg.norm(lower, axis=1, keepdims=True)


def copula_uniforms(correlations: tuple[Correlation, ...], block: Block,
                    ) -> dict[str, np.ndarray]:
    """Each blocked field's uniforms for this block of rows."""
    out: dict[str, np.ndarray] = {}
    for correlation in correlations:
        lower = factor(correlation)
        normals = block.rng(correlation.stream).standard_normal((len(correlation.fields),
                                                                 block.size))
        for i, name in enumerate(correlation.fields):
            z = np.zeros(block.size)
            for j in np.flatnonzero(lower[i]):
                z += lower[i, j] * normals[j]
            out[name] = np.clip(ndtr(z), U_LOW, U_HIGH)
    return out

"""Rank shares, Spearman matrices, blocks and the repair of matrices that are not valid
(services/infer/ranks.py, services/infer/correlations.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.infer.correlations import (
    BLOCK_MAX,
    BLOCK_RHO,
    Ranked,
    blocks_of,
    correlation_blocks,
    gaussian,
    rank_matrix,
    smallest_eigenvalue,
    valid_rank_matrix,
)
from services.infer.ranks import rank_shares


def copula(n: int, rho: np.ndarray, seed: int = 0) -> np.ndarray:
    """Rows of uniforms whose rank correlations are `rho` (a Gaussian copula)."""
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(len(rho)), gaussian(rho), size=n)
    return pd.DataFrame(z).rank().to_numpy() / n


def test_rank_shares_average_ties_per_group_and_keep_nan():
    values = np.array([3.0, 1.0, np.nan, 1.0, 7.0, 5.0, 5.0])
    shares, ties = rank_shares(values)
    # ranks 3, 1.5, -, 1.5, 6, 4.5, 4.5 of 6 values
    assert shares[2] != shares[2]
    assert shares[[0, 1, 3, 4, 5, 6]] == pytest.approx(
        (np.array([3, 1.5, 1.5, 6, 4.5, 4.5]) - 0.5) / 6)
    assert ties == pytest.approx(np.sqrt((1 - (2 * (2 / 6) ** 3 + 2 * (1 / 6) ** 3))
                                         / (1 - 1 / 36)))
    groups = np.array([0, 0, 0, 1, 1, 1, 0])
    within, _ = rank_shares(values, groups)
    assert within[[0, 1, 6]] == pytest.approx((np.array([1, 0, 2]) + 0.5) / 3)
    assert within[[3, 4, 5]] == pytest.approx((np.array([0, 2, 1]) + 0.5) / 3)


def test_distinct_values_have_no_tie_factor_and_two_halves_have_theirs():
    assert rank_shares(np.arange(10.0))[1] == pytest.approx(1.0)
    assert rank_shares(np.array([0.0, 1.0] * 50))[1] == pytest.approx(
        np.sqrt(0.75 / (1 - 1 / 100 ** 2)))


def test_the_matrix_is_spearman_also_over_rows_with_gaps():
    u = copula(2000, np.array([[1, 0.7, -0.4], [0.7, 1, 0.1], [-0.4, 0.1, 1]]))
    frame = pd.DataFrame(np.exp(u * 5))
    frame.iloc[::7, 1] = np.nan
    frame.iloc[::11, 2] = np.nan
    ranked = [Ranked(str(i), rank_shares(frame[i].to_numpy())[0]) for i in frame]
    got = rank_matrix(ranked)
    assert got == pytest.approx(frame.corr(method="spearman").to_numpy(), abs=0.01)
    dense = [Ranked(str(i), rank_shares(np.exp(u[:, i]))[0]) for i in range(3)]
    assert rank_matrix(dense) == pytest.approx(pd.DataFrame(u).corr("spearman").to_numpy())


def test_blocks_join_at_the_threshold_and_not_below():
    rho = np.eye(4)
    rho[0, 1] = rho[1, 0] = BLOCK_RHO
    rho[2, 3] = rho[3, 2] = -(BLOCK_RHO - 1e-6)
    assert blocks_of(rho) == [[0, 1]]
    rho[2, 3] = rho[3, 2] = -BLOCK_RHO
    assert blocks_of(rho) == [[0, 1], [2, 3]]


def test_a_block_is_capped_and_keeps_the_strongest_links():
    k = BLOCK_MAX + 1
    rho = np.full((k, k), 0.5)
    np.fill_diagonal(rho, 1.0)
    rho[0, 1:] = rho[1:, 0] = 0.4  # column 0 is the weakest linked: it is left out
    blocks = blocks_of(rho)
    assert blocks == [list(range(1, k))]
    assert len(blocks[0]) == BLOCK_MAX


def test_a_matrix_that_is_not_a_correlation_matrix_is_repaired():
    bad = np.array([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])
    assert smallest_eigenvalue(bad) < 0
    fixed, repaired = valid_rank_matrix(bad)
    assert repaired and smallest_eigenvalue(fixed) >= 0
    assert np.all(np.diag(fixed) == 1) and np.array_equal(fixed, fixed.T)
    assert np.all(np.sign(fixed) == np.sign(bad))
    good = np.array([[1, 0.41234], [0.41234, 1]])
    kept, repaired = valid_rank_matrix(good)
    assert not repaired and kept[0, 1] == 0.412


def test_nearly_collinear_columns_stay_valid_after_rounding():
    rho = np.array([[1, 0.9995, 0.999], [0.9995, 1, 0.9995], [0.999, 0.9995, 1]])
    fixed, _ = valid_rank_matrix(rho)
    assert smallest_eigenvalue(fixed) >= 0
    assert np.abs(fixed - rho).max() < 0.01


def test_blocks_of_planted_data_with_an_independent_column():
    rho = np.array([[1, 0.8, 0.5, 0], [0.8, 1, 0.3, 0], [0.5, 0.3, 1, 0], [0, 0, 0, 1]])
    u = copula(20_000, rho, seed=1)
    ranked = [Ranked(name, rank_shares(u[:, i])[0]) for i, name in enumerate("abcd")]
    blocks = correlation_blocks(ranked)
    assert [b["fields"] for b in blocks] == [["a", "b", "c"]]
    got = np.array(blocks[0]["rank_correlation"])
    assert got == pytest.approx(rho[:3, :3], abs=0.02)
    assert "ties" not in blocks[0]["description"]


def test_ties_are_divided_out():
    """A column of 3 values measured against a continuous one: the matrix asks for more
    than is measured, so that drawing and then falling on 3 values gives the measured."""
    u = copula(50_000, np.array([[1, 0.6], [0.6, 1]]), seed=2)
    coarse = np.floor(u[:, 1] * 3)
    a, b = rank_shares(u[:, 0]), rank_shares(coarse)
    measured = rank_matrix([Ranked("a", a[0]), Ranked("b", b[0])])[0, 1]
    block = correlation_blocks([Ranked("a", *a), Ranked("b", *b)])[0]
    assert block["rank_correlation"][0][1] == pytest.approx(measured / b[1], abs=0.002)
    assert block["rank_correlation"][0][1] == pytest.approx(0.6, abs=0.02)
    assert "ties" in block["description"]

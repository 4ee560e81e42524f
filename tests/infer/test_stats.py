"""The distances and the association measure, on inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from services.infer.numbers import fit_int
from services.infer.stats import (
    cramers_v,
    ks_to_cdf,
    ks_to_uniform_ints,
    ks_two_samples,
    normal_cdf,
    significant,
    total_variation,
)


def test_normal_cdf_matches_known_values():
    z = np.array([-1.959964, 0.0, 1.0, 3.0])
    assert normal_cdf(z) == pytest.approx([0.0250000, 0.5, 0.8413447, 0.9986501], abs=2e-7)


def test_ks_distances():
    x = np.sort(np.random.default_rng(1).random(100_000))
    assert ks_to_cdf(x, x) < 0.01  # uniform data, uniform CDF
    assert ks_to_cdf(x, x**2) == pytest.approx(0.25, abs=0.01)  # max of x - x^2
    assert ks_two_samples(np.array([1, 1, 2, 3.0]), np.array([1, 2, 2, 3.0])) == 0.25
    assert ks_two_samples(np.array([0.0]), np.array([1.0])) == 1.0


def test_total_variation():
    assert total_variation({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0
    assert total_variation({"a": 1.0}, {"b": 1.0}) == 1
    assert total_variation({"a": 0.7, "b": 0.3}, {"a": 0.6, "b": 0.3, "c": 0.1}) == \
        pytest.approx(0.1)


def test_cramers_v_from_independent_to_decided():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 4, 50_000)
    assert cramers_v(a, 4, rng.integers(0, 3, 50_000), 3) < 0.02
    assert cramers_v(a, 4, a % 2, 2) == pytest.approx(1.0)
    assert cramers_v(a, 4, a, 4) == pytest.approx(1.0)
    assert cramers_v(a, 6, a, 6) == pytest.approx(1.0)  # codes never seen do not count


def test_significant_digits():
    assert significant(0.123456) == 0.1235 and significant(1234567.0) == 1235000
    assert significant(3.0) == 3 and isinstance(significant(3.0), int)


@pytest.mark.parametrize("repeat", [1, 3])
def test_fit_int_on_a_known_uniform_sample_is_uniform_at_distance_0(repeat):
    """Each integer from 5 to 14 equally often is the uniform integers exactly, however
    few they are (a continuous KS would put it 1/10 away and refuse it)."""
    fit = fit_int(np.repeat(np.arange(5, 15), repeat)[::-1].copy())
    assert (fit.family, fit.params, fit.ks) == ("uniform", {"min": 5, "max": 14}, 0.0)


def test_uniform_ints_distance_is_the_largest_gap_between_the_two_steps():
    assert ks_to_uniform_ints(np.array([5, 5, 6, 14])) == pytest.approx(0.55)  # at 6
    assert ks_to_uniform_ints(np.array([1, 4])) == pytest.approx(0.25)  # at 2 and 3
    rng = np.random.default_rng(3)
    for _ in range(200):
        x = np.sort(rng.integers(-3, rng.integers(-2, 12), rng.integers(1, 30)))
        grid = np.arange(x[0] - 1, x[-1] + 1)  # every step of both CDFs
        sample = np.searchsorted(x, grid, side="right") / len(x)
        model = np.clip((grid - x[0] + 1) / (x[-1] - x[0] + 1), 0, 1)
        assert ks_to_uniform_ints(x) == pytest.approx(np.abs(sample - model).max())

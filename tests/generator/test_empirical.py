"""Draws of the `empirical` distribution: the quantile table is the inverse CDF."""

from __future__ import annotations

import numpy as np

from services.generator import generate_table
from services.schema import parse_schema

TABLE = [0, 0, 0, 1, 2, 4, 8, 16, 50]  # a third of the mass on 0, then a long tail


def draw(field: dict, n: int = 200_000) -> np.ndarray:
    dataset = parse_schema({"schema": {"fields": [{"name": "x", **field}]}})
    return generate_table(dataset, 5, n).column("x").to_numpy(zero_copy_only=False)


def test_floats_follow_the_table():
    values = draw({"type": "float", "distribution": "empirical", "quantiles": TABLE,
                   "decimals": 2})
    assert values.min() >= 0 and values.max() <= 50
    knots = np.quantile(values, np.linspace(0, 1, len(TABLE)))
    assert np.allclose(knots[1:-1], TABLE[1:-1], atol=0.05 * np.maximum(TABLE[1:-1], 1))
    assert abs(np.mean(values == 0) - 0.25) < 0.005  # two equal knots: exactly 0
    assert np.array_equal(values, np.round(values, 2))


def test_whole_numbers_are_rounded_and_in_range():
    values = draw({"type": "int", "distribution": "empirical", "quantiles": TABLE})
    assert values.dtype == np.int64 and values.min() == 0 and values.max() == 50
    assert abs(np.mean(values == 0) - (0.25 + 0.125 / 2)) < 0.005  # [0, 0.5) of the 4th step

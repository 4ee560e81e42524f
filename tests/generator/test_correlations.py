"""Dependencies in the data: a correlations block's rank correlations come back, each field
keeps its own distribution, per-level numbers follow their level's entry, and the bytes do
not depend on the worker count."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp, spearmanr

from services.generator import entity_tables, generate_table
from services.generator.block import BLOCK_SIZE
from services.schema import load_schema, parse_schema
from tests.generator.test_determinism import digests_by_workers
from tests.schemas import DEPENDENT

N = 100_000
MARGINS = [
    {"type": "float", "distribution": "lognormal", "mean": 3.0, "stddev": 0.8},
    {"type": "int", "min": 0, "max": 1000, "skew": 1.5},
    {"type": "float", "distribution": "empirical", "quantiles": [0, 0, 1, 3, 9, 40]},
    {"type": "float", "distribution": "normal", "mean": 10, "stddev": 2},
    {"type": "float", "distribution": "exponential", "lambda": 0.2},
    {"type": "float", "distribution": "uniform", "min": -5, "max": 5},
    {"type": "int", "distribution": "empirical", "quantiles": [1, 2, 2, 5, 30]},
]
RHO = [[1, 0.9, 0.5, -0.6], [0.9, 1, 0.4, -0.5], [0.5, 0.4, 1, -0.3], [-0.6, -0.5, -0.3, 1]]


def table(fields, correlations=(), n=N, seed=3):
    ds = parse_schema({"schema": {"fields": fields, "correlations": list(correlations)}})
    return generate_table(ds, seed, n)


def column(t, name):
    return t.column(name).to_numpy(zero_copy_only=False)


def test_declared_rank_correlations_come_back():
    fields = [{"name": f"v{i}", **m} for i, m in enumerate(MARGINS[:4])]
    t = table(fields, [{"fields": ["v0", "v1", "v2", "v3"], "rank_correlation": RHO}])
    for i in range(4):
        for j in range(i):
            rho = spearmanr(column(t, f"v{i}"), column(t, f"v{j}")).statistic
            assert abs(rho - RHO[i][j]) < 0.03, (i, j, rho)


@pytest.mark.parametrize("margin", MARGINS, ids=lambda m: m.get("distribution", "int"))
def test_each_field_keeps_its_own_distribution(margin):
    """The same margin in a block and alone: one distribution (KS), same quantiles."""
    partner = {"name": "p", "type": "float"}
    fields = [{"name": "inside", **margin}, {"name": "alone", **margin}, partner]
    t = table(fields, [{"fields": ["inside", "p"], "rank_correlation": [[1, 0.8], [0.8, 1]]}])
    inside, alone = column(t, "inside"), column(t, "alone")
    assert ks_2samp(inside, alone).statistic < 0.01
    probes = [0.01, 0.1, 0.5, 0.9, 0.99]
    spread = np.quantile(alone, 0.99) - np.quantile(alone, 0.01)
    assert np.allclose(np.quantile(inside, probes), np.quantile(alone, probes),
                       atol=0.02 * spread)
    assert inside.dtype == alone.dtype


def test_datetimes_of_mode_uniform_move_with_numbers():
    fields = [{"name": "t", "type": "datetime"}, {"name": "x", "type": "float"},
              {"name": "u", "type": "datetime"}]
    t = table(fields, [{"fields": ["t", "x"], "rank_correlation": [[1, 0.6], [0.6, 1]]}])
    seconds = column(t, "t").astype("datetime64[s]").astype(np.int64)
    assert abs(spearmanr(seconds, column(t, "x")).statistic - 0.6) < 0.03
    alone = column(t, "u").astype("datetime64[s]").astype(np.int64)
    assert ks_2samp(seconds, alone).statistic < 0.01
    assert seconds.min() >= alone.min() - 60 and seconds.max() <= alone.max() + 60


def test_nulls_are_drawn_apart_and_the_rest_stays_correlated():
    fields = [{"name": "a", "type": "float", "null_prob": 0.2},
              {"name": "b", "type": "int", "min": 0, "max": 10**6}]
    t = table(fields, [{"fields": ["a", "b"], "rank_correlation": [[1, 0.8], [0.8, 1]]}])
    a, b = column(t, "a"), column(t, "b")
    present = ~np.isnan(a)
    assert abs(present.mean() - 0.8) < 0.01
    assert abs(spearmanr(a[present], b[present]).statistic - 0.8) < 0.03


def test_a_singular_block_gives_one_order_for_both():
    fields = [{"name": "a", "type": "float"}, {"name": "b", **MARGINS[0]}]
    t = table(fields, [{"fields": ["a", "b"], "rank_correlation": [[1, 1], [1, 1]]}], n=5000)
    assert spearmanr(column(t, "a"), column(t, "b")).statistic > 0.9999


def test_fields_outside_blocks_keep_their_draws():
    """Adding a block over other fields changes none of the values of this one."""
    fields = [{"name": "keep", **MARGINS[0]}, {"name": "a", "type": "float"},
              {"name": "b", "type": "int"}]
    plain = table(fields, n=1000)
    blocked = table(fields, [{"fields": ["a", "b"], "rank_correlation": [[1, 0.5], [0.5, 1]]}],
                    n=1000)
    assert plain.column("keep").equals(blocked.column("keep"))
    assert not plain.column("a").equals(blocked.column("a"))


LEVELS = {"type": "category", "name": "cut",
          "choices": [{"value": "Ideal", "weight": 5}, {"value": "Premium", "weight": 3},
                      {"value": "Good", "weight": 2}, {"value": "Fair", "weight": 1}]}
PRICE = {"name": "price", "type": "float", "decimals": 2, "conditional_on": "cut",
         "conditional_table": {
             "Ideal": {"distribution": "empirical", "quantiles": [300, 900, 1800, 5000, 18000]},
             "Premium": {"distribution": "lognormal", "mean": 8.0, "stddev": 0.9},
             "Good": {"distribution": "normal", "mean": 100, "stddev": 10},
             "_default": {"distribution": "exponential", "lambda": 0.01}}}


def test_a_per_level_number_follows_its_levels_entry():
    t = table([LEVELS, PRICE])
    cut, price = column(t, "cut"), column(t, "price")
    ideal = price[cut == "Ideal"]
    assert np.allclose(np.quantile(ideal, [0.25, 0.5, 0.75]), [900, 1800, 5000], rtol=0.03)
    assert abs(np.median(price[cut == "Premium"]) / np.exp(8.0) - 1) < 0.03
    good = price[cut == "Good"]
    assert abs(good.mean() - 100) < 0.3 and abs(good.std() - 10) < 0.3
    fair = price[cut == "Fair"]  # `_default`: exponential of mean 100
    assert abs(np.median(fair) - 100 * np.log(2)) < 4
    assert np.array_equal(price, np.round(price, 2))


def test_a_per_level_int_and_a_null_level_take_the_default():
    levels = LEVELS | {"null_prob": 0.3}
    count = {"name": "n", "type": "int", "conditional_on": "cut", "conditional_table": {
        "Ideal": {"min": 10, "max": 19}, "_default": {"distribution": "empirical",
                                                      "quantiles": [0, 1]}}}
    t = table([levels, count], n=20_000)
    cut, n = column(t, "cut"), column(t, "n")
    assert n.dtype == np.int64
    assert set(np.unique(n[cut == "Ideal"])) == set(range(10, 20))
    assert set(np.unique(n[cut != "Ideal"])) == {0, 1}  # null levels included
    assert (cut == None).sum() > 5000  # noqa: E711 (an object array's nulls)


def test_a_per_level_number_in_a_block_is_correlated_and_keeps_its_levels():
    other = {"name": "weight", "type": "float", "distribution": "lognormal"}
    t = table([LEVELS, PRICE, other],
              [{"fields": ["price", "weight"], "rank_correlation": [[1, 0.8], [0.8, 1]]}])
    cut, price, weight = column(t, "cut"), column(t, "price"), column(t, "weight")
    good = cut == "Good"
    assert abs(spearmanr(price[good], weight[good]).statistic - 0.8) < 0.03
    assert abs(price[good].mean() - 100) < 0.3


YEAR = {"name": "year", "type": "category",
        "choices": [2007, 1952, {"value": 1977, "weight": 2}, 1992]}


def test_a_category_of_numbers_in_a_block_keeps_its_weights_and_moves_with_the_block():
    other = {"name": "life", "type": "float", "distribution": "normal", "mean": 60,
             "stddev": 10}
    t = table([YEAR, other], [{"fields": ["year", "life"], "rank_correlation": [[1, 0.45],
                                                                                [0.45, 1]]}])
    year, life = column(t, "year"), column(t, "life")
    shares = {y: (year == y).mean() for y in (1952, 1977, 1992, 2007)}
    assert shares == pytest.approx({1952: 0.2, 1977: 0.4, 1992: 0.2, 2007: 0.2}, abs=0.005)
    # ties among four values pull the measured rho below the copula's 0.45, not to 0
    assert 0.35 < spearmanr(year, life).statistic < 0.45
    means = [life[year == y].mean() for y in (1952, 1977, 1992, 2007)]
    assert means == sorted(means) and means[-1] - means[0] > 10  # later years live longer


def test_a_conditional_category_of_numbers_in_a_block_orders_each_levels_values():
    size = LEVELS | {"name": "size"}
    rooms = {"name": "rooms", "type": "category", "conditional_on": "size",
             "conditional_table": {"Ideal": [5, 1, 3], "_default": [2, 1]}}
    area = {"name": "area", "type": "float"}
    t = table([size, rooms, area], [{"fields": ["rooms", "area"],
                                     "rank_correlation": [[1, 0.9], [0.9, 1]]}])
    group, rooms_, area_ = column(t, "size"), column(t, "rooms"), column(t, "area")
    ideal = group == "Ideal"
    assert set(np.unique(rooms_[ideal])) == {1, 3, 5}
    assert set(np.unique(rooms_[~ideal])) == {1, 2}
    means = [area_[ideal & (rooms_ == r)].mean() for r in (1, 3, 5)]
    assert means == sorted(means)


ORIGIN = {"name": "origin", "type": "category", "choices": ["USA", "Japan", "Europe"]}
NESTED = {"name": "price", "type": "float", "conditional_on": "cut", "conditional_table": {
    "Ideal": {"conditional_on": "origin", "conditional_table": {
        "Japan": {"distribution": "normal", "mean": 10, "stddev": 1},
        "_default": {"distribution": "normal", "mean": 20, "stddev": 1}}},
    "_default": {"distribution": "normal", "mean": 30, "stddev": 1}}}


def test_a_nested_table_gives_each_level_within_a_level_its_entry():
    t = table([LEVELS, ORIGIN, NESTED])
    cut, origin, price = column(t, "cut"), column(t, "origin"), column(t, "price")
    ideal = cut == "Ideal"
    assert abs(price[ideal & (origin == "Japan")].mean() - 10) < 0.05
    assert abs(price[ideal & (origin != "Japan")].mean() - 20) < 0.05
    assert abs(price[~ideal].mean() - 30) < 0.05
    assert abs(price[~ideal & (origin == "Japan")].mean() - 30) < 0.05


def test_a_nested_table_in_a_block_keeps_the_rank_correlation():
    other = {"name": "weight", "type": "float", "distribution": "lognormal"}
    t = table([LEVELS, ORIGIN, NESTED, other],
              [{"fields": ["price", "weight"], "rank_correlation": [[1, 0.8], [0.8, 1]]}])
    cut, origin = column(t, "cut"), column(t, "origin")
    rows = (cut == "Ideal") & (origin == "Japan")
    assert abs(spearmanr(column(t, "price")[rows], column(t, "weight")[rows]).statistic
               - 0.8) < 0.03


def test_an_entity_draws_its_block():
    data = {"entity_count": 10, "entities": {"cards": {"count": 50_000, "fields": [
        {"name": "card_id", "type": "id_sequence"},
        {"name": "limit", "type": "int", "min": 100, "max": 9000},
        {"name": "age", "type": "float", "distribution": "normal", "mean": 40, "stddev": 9}],
        "correlations": [{"fields": ["limit", "age"], "rank_correlation": [[1, 0.6],
                                                                           [0.6, 1]]}]}},
        "schema": {"fields": [{"name": "card", "type": "ref", "entity": "cards"}]}}
    cards = entity_tables(parse_schema(data), 5)["cards"].table
    rho = spearmanr(column(cards, "limit"), column(cards, "age")).statistic
    assert abs(rho - 0.6) < 0.03


def test_the_bytes_do_not_depend_on_the_worker_count(tmp_path):
    """DEPENDENT has a block with a category of numbers and a nested per-level table."""
    ds = load_schema(DEPENDENT).with_overrides(entity_count=2 * BLOCK_SIZE + 77)
    assert len(digests_by_workers(ds, tmp_path, 11, (1, 2))) == 1

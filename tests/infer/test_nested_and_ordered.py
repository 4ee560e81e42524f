"""Dependencies planted in a generated extract come back from inference: a number per level
of one label and, within a level, of another (nested tables); a category of numbers in a
correlation block; a flag that compares two columns (derived_compare)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.infer.extracts import fields, generate, infer

ROWS = 60_000

PLANTED = {
    "seed": 1, "entity_count": ROWS,
    "schema": {"fields": [
        {"name": "cylinders", "type": "category",
         "choices": [{"value": 4, "weight": 5}, {"value": 6, "weight": 2},
                     {"value": 8, "weight": 3}]},
        {"name": "origin", "type": "category", "choices": ["USA", "Japan", "Europe"]},
        {"name": "year", "type": "category", "choices": [1970, 1975, 1980, 1985]},
        {"name": "displacement", "type": "float", "decimals": 1,
         "conditional_on": "cylinders", "conditional_table": {
             "4": {"conditional_on": "origin", "conditional_table": {
                 "Japan": {"distribution": "normal", "mean": 90, "stddev": 5},
                 "_default": {"distribution": "normal", "mean": 130, "stddev": 5}}},
             "6": {"distribution": "normal", "mean": 220, "stddev": 10},
             "_default": {"distribution": "normal", "mean": 330, "stddev": 15}}},
        {"name": "mpg", "type": "float", "decimals": 1, "conditional_on": "origin",
         "conditional_table": {
             "USA": {"distribution": "normal", "mean": 18, "stddev": 4},
             "Japan": {"distribution": "normal", "mean": 30, "stddev": 4},
             "Europe": {"distribution": "normal", "mean": 26, "stddev": 4}}},
        {"name": "home", "type": "category", "choices": ["London", "Paris", "Rome"]},
        {"name": "city", "type": "category", "conditional_on": "home", "conditional_table": {
            "London": [{"value": "London", "weight": 8}, "Paris", "Rome"],
            "Paris": [{"value": "Paris", "weight": 8}, "London", "Rome"],
            "Rome": [{"value": "Rome", "weight": 8}, "London", "Paris"]}},
        {"name": "abroad", "type": "derived_compare", "left": "city", "op": "!=",
         "right": "home"},
    ], "correlations": [{"fields": ["year", "mpg"], "rank_correlation": [[1, 0.6],
                                                                         [0.6, 1]]}]},
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    real = generate(PLANTED, folder / "planted.csv", ROWS)
    doc = infer(real)
    return real, doc, generate(doc, folder / "synthetic.csv", ROWS, seed=9)


def test_a_level_split_again_comes_back_as_a_nested_table(planted):
    _, doc, _ = planted
    table = fields(doc)["displacement"]["conditional_table"]
    assert fields(doc)["displacement"]["conditional_on"] == "cylinders"
    four = table["4"]
    assert four["conditional_on"] == "origin"
    assert four["conditional_table"]["Japan"]["mean"] == pytest.approx(90, abs=0.3)
    for origin in ("USA", "Europe"):
        assert four["conditional_table"][origin]["mean"] == pytest.approx(130, abs=0.3)
    assert "conditional_on" not in table["6"]  # origin explains nothing within six
    assert table["6"]["mean"] == pytest.approx(220, abs=0.5)


def test_a_category_of_numbers_joins_the_block_and_not_the_levels(planted):
    _, doc, _ = planted
    (block,) = doc["schema"]["correlations"]
    assert block["fields"] == ["year", "mpg"]
    assert block["rank_correlation"][0][1] == pytest.approx(0.6, abs=0.03)
    mpg = fields(doc)["mpg"]
    assert mpg["conditional_on"] == "origin"  # the level that explains most, and within
    assert not any("conditional_on" in entry  # it the year is a trend, not four tables
                   for entry in mpg["conditional_table"].values())


def test_a_flag_comparing_two_columns_comes_back_as_derived_compare(planted):
    _, doc, _ = planted
    abroad = fields(doc)["abroad"]
    assert (abroad["type"], abroad["op"]) == ("derived_compare", "!=")
    assert {abroad["left"], abroad["right"]} == {"home", "city"}
    assert "abroad" in doc["analysis"]["boolean_fields"]


def test_generated_from_the_inferred_file_the_dependencies_hold(planted):
    real_path, _, synthetic_path = planted
    real, synth = pd.read_csv(real_path), pd.read_csv(synthetic_path)
    for frame in (real, synth):
        four = frame[frame["cylinders"] == 4]
        japan = four.loc[four["origin"] == "Japan", "displacement"].mean()
        assert japan == pytest.approx(90, abs=0.5)
        assert four.loc[four["origin"] != "Japan", "displacement"].mean() == \
            pytest.approx(130, abs=0.5)
        means = frame[frame["origin"] == "USA"].groupby("year")["mpg"].mean().to_numpy()
        assert np.all(np.diff(means) > 0)
        assert (frame["abroad"] == (frame["city"] != frame["home"])).all()
    rho = [f[["year", "mpg"]].corr("spearman").iloc[0, 1] for f in (real, synth)]
    assert rho[1] == pytest.approx(rho[0], abs=0.03)


def test_a_rare_flag_is_found_and_a_flag_no_pair_explains_is_kept(tmp_path):
    """Its true rows come after the first few hundred; a near miss stays a bool."""
    rng = np.random.default_rng(4)
    n = 5_000
    left = rng.choice(["x", "y", "z"], n)
    right = left.copy()
    moved = np.zeros(n, dtype=bool)
    moved[1_000 + rng.choice(n - 1_000, 40, replace=False)] = True  # none in the first 1,000
    right[moved] = np.where(left[moved] == "x", "y", "x")
    near = moved.copy()
    near[3] = True  # true in one row where left == right
    frame = pd.DataFrame({"left": left, "right": right, "changed": moved, "near": near})
    path = tmp_path / "flags.csv"
    frame.to_csv(path, index=False)
    got = fields(infer(path))
    assert {k: got["changed"][k] for k in ("type", "left", "op", "right")} == {
        "type": "derived_compare", "left": "left", "op": "!=", "right": "right"}
    assert got["near"]["type"] == "bool"

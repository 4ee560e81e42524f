"""Dependencies found in real extracts that packages ship (benchmarks/real_extracts.py)
come back after infer -> generate: issue 27's targets (benchmarks/dependency_targets.py,
the oracle benchmarks/infer_real.py reports with)."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks import dependency_targets as targets
from benchmarks import real_extracts
from tests.infer.extracts import fields, generate, infer

SYNTHETIC_ROWS = 100_000  # the real sides have 400 to 1,700 rows: their noise dominates


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """name -> (real path, inferred schema, synthetic path)."""
    folder = tmp_path_factory.mktemp("real")
    out = {}
    for name in real_extracts.NAMES:
        path = real_extracts.write(name, folder)
        doc = infer(path)
        out[name] = path, doc, generate(doc, folder / f"{name}.synthetic.csv", SYNTHETIC_ROWS)
    return out


def test_gapminder_countries_are_an_entity_with_their_continent_and_codes(extracts):
    path, doc, synthetic = extracts["gapminder"]
    entity = doc["entities"]["country"]
    assert entity["count"] == 142
    assert [f["name"] for f in entity["fields"]] == [
        "country_id", "country", "continent", "iso_alpha", "iso_num", "centroid_lon",
        "centroid_lat"]
    got = fields(doc)
    assert got["country_id"]["popularity"] == {"kind": "uniform"}  # twelve years each
    assert got["lifeExp"]["conditional_on"] == "continent"
    assert got["gdpPercap"]["conditional_on"] == "continent"
    # the year, a category of twelve numbers, moves with life expectancy and GDP in a block,
    # given the country's latitude ranked within its continent: in Europe only is the
    # latitude's link significant over the countries (0.48 with GDP; Asia's 0.17 over 33
    # is chance, and drawing it would make the Koreas rich)
    (block,) = doc["schema"]["correlations"]
    assert block["fields"] == ["centroid_lat", "year", "lifeExp", "gdpPercap"]
    assert block["within"] == "continent"
    assert block["rank_correlation"][1][2] > 0.4  # within continents, stronger than 0.446
    assert block["rank_correlation"][0] == [1, 0.0, 0.0, 0.0]
    assert list(block["per_level"]) == ["Europe"]
    assert abs(block["per_level"]["Europe"][0][3] - 0.48) < 0.01
    assert "conditional_on" not in got["year"]
    assert got["pop"]["conditional_table"]["Asia"]["conditional_on"] == "iso_alpha"
    real, synth = pd.read_csv(path), pd.read_csv(synthetic)
    pairs = synth[["country", "continent", "iso_alpha", "iso_num"]].drop_duplicates()
    assert len(pairs) == 142  # a country never changes continent or code
    real_pairs = real[["country", "continent", "iso_alpha", "iso_num"]].drop_duplicates()
    assert pairs.merge(real_pairs).shape[0] == 142


def test_cars_weigh_move_and_burn_together(extracts):
    _, doc, _ = extracts["cars"]
    blocks = [b["fields"] for b in doc["schema"]["correlations"]]
    assert any({"Miles_per_Gallon", "Displacement", "Horsepower", "Weight_in_lbs"} <= set(b)
               for b in blocks)
    assert not any("Cylinders" in b for b in blocks)  # the numbers' levels carry it
    got = fields(doc)
    assert got["Displacement"]["conditional_on"] == "Cylinders"
    assert got["Origin"]["conditional_on"] == "Cylinders"
    # within four cylinders, the displacement is per origin too: placed after Origin
    four = got["Displacement"]["conditional_table"]["4"]
    assert four["conditional_on"] == "Origin"
    assert set(four["conditional_table"]) == {"USA", "Japan", "Europe", "_default"}
    assert list(got).index("Displacement") > list(got).index("Origin")


def test_seattle_temperatures_move_together_and_rain_depends_on_the_weather(extracts):
    _, doc, _ = extracts["seattle_weather"]
    (block,) = doc["schema"]["correlations"]  # rain and wind go with the temperatures
    assert sorted(block["fields"]) == ["precipitation", "temp_max", "temp_min", "wind"]
    at = {name: i for i, name in enumerate(block["fields"])}
    assert block["rank_correlation"][at["temp_max"]][at["temp_min"]] > 0.8
    assert fields(doc)["precipitation"]["conditional_on"] == "weather"


@pytest.mark.parametrize("target", [0, 1, 2], ids=["rank pairs", "level means", "label TV"])
@pytest.mark.parametrize("name", real_extracts.NAMES)
def test_the_targets_hold_after_generation(extracts, name, target):
    path, _, synthetic = extracts[name]
    result = targets.judge(targets.read(path), targets.read(synthetic))[target]
    assert not result.failures, (result.name, result.failures)

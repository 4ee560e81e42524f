"""A real public dataset shipped inside a wheel (vega_datasets' Seattle weather, 2012-2015):
no download at run time. Real temperatures and rain fit no textbook family, so this is
where the empirical distribution earns its place."""

from __future__ import annotations

from importlib.resources import files

import pyarrow.csv as pacsv
import pytest

from services.infer.compare import compare
from services.infer.samples import read_samples
from tests.infer.extracts import fields, generate, infer, shares

WEATHER = files("vega_datasets") / "_data" / "seattle-weather.csv"
SYNTHETIC_ROWS = 200_000  # the real side has 1,461 rows: its noise dominates the distances


@pytest.fixture(scope="module")
def weather():
    return infer(WEATHER)


def test_the_shape_of_seattle_weather(weather):
    got = fields(weather)
    # the numbers the weather explains are drawn per level of it, so they come after it
    assert list(got) == ["date", "weather", "precipitation", "temp_max", "temp_min", "wind"]
    assert got["date"]["format"] == "%Y/%m/%d"
    assert weather["time_window"] == {"start": "2012-01-01", "end": "2015-12-31"}
    real = pacsv.read_csv(WEATHER).to_pandas()
    expected = real["weather"].value_counts(normalize=True).to_dict()
    assert shares(got["weather"]["choices"]) == pytest.approx(expected, abs=1e-4)
    precipitation = got["precipitation"]
    assert (precipitation["conditional_on"], precipitation["decimals"]) == ("weather", 1)
    snow = precipitation["conditional_table"]["snow"]
    assert snow["distribution"] == "empirical"
    snowy = real.loc[real["weather"] == "snow", "precipitation"]
    assert (snow["quantiles"][0], snow["quantiles"][-1]) == (snowy.min(), snowy.max())
    assert weather["analysis"]["dimensions"] == ["weather"]
    assert weather["analysis"]["numeric_fields"] == ["precipitation", "temp_max", "temp_min",
                                                     "wind"]


def test_generated_weather_is_close_to_the_real_one(weather, tmp_path):
    synthetic = generate(weather, tmp_path / "weather.csv", SYNTHETIC_ROWS)
    report = compare(read_samples([WEATHER]), read_samples([synthetic]))
    # each column alone, the pairs (temp_max ~ temp_min, rain per weather) and privacy
    assert report["summary"]["ok"], [c for c in report["columns"] if not c["ok"]]
    assert report["summary"]["max_ks"] <= 0.05 and report["summary"]["max_tv"] <= 0.02

"""Real public extracts that pip packages ship inside themselves (nothing is downloaded at
run time), written as CSV where the package keeps them in another form: plotly's
gapminder (countries with their continent and codes, twelve years each; life expectancy,
population and GDP per head), vega_datasets' cars (mpg, horsepower, weight... with the
origin and cylinders) and Seattle weather (temperatures and rain by kind of weather)."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

NAMES = ("gapminder", "cars", "seattle_weather")


def write(name: str, folder: Path) -> Path:
    """The extract `name` as a CSV file in `folder`."""
    if name == "gapminder":
        out = folder / "gapminder.csv.gz"
        source = files("plotly") / "package_data" / "datasets" / "gapminder.csv.gz"
        with source.open("rb") as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        return out
    if name == "cars":
        rows = json.loads((files("vega_datasets") / "_data" / "cars.json").read_text())
        out = folder / "cars.csv"
        pacsv.write_csv(pa.Table.from_pylist(rows), out)
        return out
    if name == "seattle_weather":
        out = folder / "seattle_weather.csv"
        out.write_bytes((files("vega_datasets") / "_data" / "seattle-weather.csv").read_bytes())
        return out
    raise ValueError(f"unknown extract {name!r}; known: {', '.join(NAMES)}")

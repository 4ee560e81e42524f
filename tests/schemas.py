"""The shipped schema files, and extracts the generator writes from them, for every test."""

from __future__ import annotations

from pathlib import Path

from services.common.paths import DEFAULT_SCHEMA, RETAIL_SCHEMA, SCHEMAS
from services.generator import write_dataset
from services.schema import Dataset, load_schema

CARD = DEFAULT_SCHEMA
RETAIL = RETAIL_SCHEMA
SHIPPED = sorted(SCHEMAS.glob("*.json"))


def write_extract(dataset: Dataset, folder: Path, name: str, seed: int, rows: int,
                  fmt: str = "csv", gz: bool = False) -> Path:
    """`rows` rows of `dataset` in `folder/<name><suffix>`, written by the generator."""
    ds = dataset.with_overrides(entity_count=rows, output_format=fmt, gzip=gz)
    path = folder / f"{name}{ds.output.suffix}"
    write_dataset(ds, path, seed=seed)
    return path


def generate(schema: Path, folder: Path, rows: int, *, fmt: str = "csv", gzip: bool = False,
             seed: int = 7, name: str | None = None) -> Path:
    """An extract of a schema file, written by the generator itself, as a user would."""
    return write_extract(load_schema(schema), folder, name or schema.stem, seed, rows, fmt,
                         gzip)


# The card schema with a correlations block and a per-level number (benchmarks/generator.py
# measures it against the same schema without them).
DEPENDENT = Path(__file__).resolve().parents[1] / "benchmarks/schemas/card_dependent.json"


# An entity's attribute in a correlations block (a country's latitude, ranked within its
# continent, with a matrix of its own in Asia), picked by Zipf: for the byte tests.
LOOKUP_BLOCK = {
    "seed": 5, "entity_count": 1000,
    "entities": {"countries": {"count": 300, "fields": [
        {"name": "country_id", "type": "id_sequence"},
        {"name": "continent", "type": "category",
         "choices": [{"value": "Europe", "weight": 3}, {"value": "Asia", "weight": 5},
                     {"value": "Africa", "weight": 2}]},
        {"name": "lat", "type": "float", "decimals": 2, "conditional_on": "continent",
         "conditional_table": {
             "Europe": {"distribution": "normal", "mean": 50, "stddev": 6},
             "Asia": {"distribution": "normal", "mean": 30, "stddev": 12},
             "_default": {"distribution": "normal", "mean": 0, "stddev": 15}}}]}},
    "schema": {"fields": [
        {"name": "country", "type": "ref", "entity": "countries",
         "popularity": {"kind": "zipf", "s": 0.7}},
        {"name": "continent", "type": "lookup", "ref": "country", "attribute": "continent"},
        {"name": "lat", "type": "lookup", "ref": "country", "attribute": "lat"},
        {"name": "gdp", "type": "float", "decimals": 1, "conditional_on": "continent",
         "conditional_table": {
             "Europe": {"distribution": "lognormal", "mean": 10, "stddev": 0.5},
             "Asia": {"distribution": "lognormal", "mean": 8, "stddev": 1.2},
             "_default": {"distribution": "empirical", "quantiles": [300, 800, 1500, 9000]}}},
        {"name": "life", "type": "float", "distribution": "normal", "mean": 60, "stddev": 9},
        {"name": "gdp_alone", "type": "float", "decimals": 1, "conditional_on": "continent",
         "conditional_table": {
             "Europe": {"distribution": "lognormal", "mean": 10, "stddev": 0.5},
             "Asia": {"distribution": "lognormal", "mean": 8, "stddev": 1.2},
             "_default": {"distribution": "empirical", "quantiles": [300, 800, 1500, 9000]}}},
        {"name": "life_alone", "type": "float", "distribution": "normal", "mean": 60,
         "stddev": 9}],
        "correlations": [{
            "fields": ["lat", "gdp", "life"], "within": "continent",
            "rank_correlation": [[1, 0.5, 0.3], [0.5, 1, 0.4], [0.3, 0.4, 1]],
            "per_level": {"Asia": [[1, -0.4, 0.0], [-0.4, 1, 0.4], [0.0, 0.4, 1]]}}]},
}

# The card schema with a scenario timeline: trend, burst, outage, drifts, labelled anomalies.
TIMELINE = Path(__file__).resolve().parents[1] / "benchmarks/schemas/card_timeline.json"

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

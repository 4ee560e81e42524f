"""--engine spark on a lifecycle: the parts, each made in its own task with its carry made
again from the blocks that reach it, concatenate to the single-process file; Parquet parts
read back its rows in order."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.common.paths import SCHEMAS
from services.common.stores import LocalStore
from services.generator import write_dataset
from services.generator.block import BLOCK_SIZE
from services.generator.encoders import encoder_for
from services.generator.parts import SUCCESS, PartPlan
from services.generator.target import Target
from services.schema import load_schema, parse_schema
from services.spark.generate import generate
from tests.lifecycles import DOC

EPISODES = 2 * BLOCK_SIZE + 777
SEED = 31


def target(folder: Path) -> Target:
    return Target(LocalStore(), str(folder), folder.as_uri())


def single(tmp_path: Path, ds) -> Path:
    path = tmp_path / f"single{ds.output.suffix}"
    write_dataset(ds, path, seed=SEED, workers=2)
    return path


def parts_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("part-"))


@pytest.mark.spark
@pytest.mark.parametrize("source,fmt,gz", [(DOC, "csv", False),
                                           (SCHEMAS / "clickstream.json", "jsonl", True),
                                           (SCHEMAS / "clickstream.json", "avro", False)])
def test_lifecycle_parts_concatenate_to_the_single_process_file(spark, tmp_path, source, fmt,
                                                                 gz):
    ds = parse_schema(source) if isinstance(source, dict) else load_schema(source)
    ds = ds.with_overrides(entity_count=EPISODES, output_format=fmt, gzip=gz)
    out = tmp_path / "parts"
    result = generate(spark, PartPlan(ds, SEED, part_blocks=1), target(out))
    assert result.parts == 3 and (out / SUCCESS).exists()
    header = encoder_for(ds.with_overrides(seed=SEED)).header_bytes()
    parts = [p.read_bytes() for p in parts_of(out)]
    assert all(p.startswith(header) and len(p) > len(header) for p in parts)
    joined = parts[0] + b"".join(p[len(header):] for p in parts[1:])
    assert joined == single(tmp_path, ds).read_bytes()
    if fmt == "avro":  # per-state fields are null in the rows of other states
        records = list(fastavro.reader(io.BytesIO(joined)))
        assert result.rows == len(records) and {r["order_value"] is None
                                                for r in records} == {True, False}
        return
    text = gzip.decompress(joined) if gz else joined
    assert result.rows == text.count(b"\n") - (fmt == "csv")  # rows written, not episodes


@pytest.mark.spark
def test_lifecycle_parquet_parts_hold_the_rows_in_order(spark, tmp_path):
    ds = load_schema(SCHEMAS / "retail_order_lifecycle.json").with_overrides(
        entity_count=EPISODES, output_format="parquet")
    out = tmp_path / "parts"
    generate(spark, PartPlan(ds, SEED, part_blocks=2), target(out))
    tables = [pq.read_table(p) for p in parts_of(out)]
    assert len(tables) == 2
    assert pa.concat_tables(tables).equals(pq.read_table(single(tmp_path, ds)))

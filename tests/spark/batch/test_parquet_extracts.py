"""Parquet extracts through the batch job: the same outputs, byte for byte, as the same rows
written as CSV (every type the generator writes to Parquet: iso timestamps, epoch and
strftime times, floats, ints, booleans, nulls, hostile text)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.outputs import BatchOutputs
from services.schema import Dataset, load_schema, parse_schema
from services.spark.batch_job import publish
from services.spark.cleansing import Roles
from services.spark.extracts import InputError, list_extracts
from tests.hostile_values import ALL, write_schema
from tests.schemas import CARD, RETAIL, write_extract
from tests.spark.batch.recompute import messy_card_dataset, settings_for

pytestmark = pytest.mark.spark
RUN_FACTS = ("generated_at", "input_files", "duration_seconds")


def card_with_time_format(fmt: str) -> Dataset:
    raw = json.loads(CARD.read_text())
    for field in raw["schema"]["fields"]:
        if field["name"] == "event_time":
            field["format"] = fmt
        if field["name"] in ("city", "amount", "is_chip"):
            field["null_prob"] = 0.05
    return parse_schema(raw, source=str(CARD), default_name="card_transactions")


def published(spark, root: Path, dataset: Dataset, formats: list[str],
              **env: str) -> dict[str, Any]:
    """Every output of one batch run over one extract per format (seeds 1, 2, ...)."""
    inputs = root / "input"
    inputs.mkdir(parents=True)
    for seed, fmt in enumerate(formats, 1):
        write_extract(dataset, inputs, f"extract-{seed}", seed, 2_000, fmt=fmt)
    settings = settings_for(root, inputs, **env)
    assert publish(spark, settings, dataset, Roles.of(dataset.analysis)) == 0
    outputs = BatchOutputs(Path(settings.out_local_csv))
    quality = json.loads(outputs.quality_file.read_text())
    table = pq.read_table(settings.out_parquet).to_pandas()
    return {
        "csv": [p.read_bytes() for p in sorted(outputs.csv_dir.glob("part-*.csv"))],
        "kpis": [p.read_bytes() for p in sorted(outputs.kpis_dir.glob("part-*.csv"))],
        "quality": {k: v for k, v in quality.items() if k not in RUN_FACTS},
        "parquet": table.sort_values(list(table.columns)).reset_index(drop=True),
    }


def hostile(root: Path) -> tuple[Dataset, dict[str, str]]:
    schema = write_schema(root / "schema", ALL, "2025-01-01T00:00:00", "2025-01-03T23:59:59")
    return load_schema(schema), {"CSV_MULTILINE": "true"}


DATASETS = {
    "card-iso": lambda root: (messy_card_dataset(2_000), {}),
    "card-epoch-ms": lambda root: (card_with_time_format("epoch_ms"), {}),
    "card-strftime": lambda root: (card_with_time_format("%d/%m/%Y %H:%M:%S"), {}),
    "retail": lambda root: (load_schema(RETAIL), {}),
    "hostile": hostile,
}


@pytest.mark.parametrize("name", DATASETS)
def test_a_parquet_extract_gives_the_outputs_of_the_same_rows_as_csv(spark, tmp_path, name):
    dataset, env = DATASETS[name](tmp_path)
    as_csv = published(spark, tmp_path / "csv", dataset, ["csv"], **env)
    as_parquet = published(spark, tmp_path / "parquet", dataset, ["parquet"], **env)
    assert as_csv["quality"]["rows_read"] == as_parquet["quality"]["rows_read"] == 2_000
    assert as_parquet["quality"] == as_csv["quality"]
    assert as_parquet["csv"] == as_csv["csv"] and as_parquet["kpis"] == as_csv["kpis"]
    assert as_parquet["parquet"].equals(as_csv["parquet"])


def test_parquet_mixes_with_csv_and_jsonl_in_one_folder(spark, tmp_path):
    """The same rows in another order: doubles are summed in another order too, so an
    average that falls on a half of its last decimal may round the other way."""
    dataset = messy_card_dataset(2_000)
    text = published(spark, tmp_path / "text", dataset, ["csv", "jsonl", "csv"])
    mixed = published(spark, tmp_path / "mixed", dataset, ["parquet", "jsonl", "csv"])
    assert mixed["quality"]["rows_read"] == 6_000
    assert mixed["quality"] == text["quality"]
    for output in ("csv", "kpis"):
        got, expected = (pd.read_csv(io.BytesIO(b"".join(run[output])), keep_default_na=False)
                         for run in (mixed, text))
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=0, atol=1.01e-4)


def test_parquet_extracts_are_listed_and_a_broken_one_is_named(spark, folders):
    tmp, inputs = folders
    write_extract(load_schema(CARD), inputs, "good", 1, 500, fmt="parquet")
    (inputs / "empty.parquet").write_bytes(b"")
    (inputs / "broken.parquet").write_bytes(b"id,amount\n1,2.5\n")
    (inputs / "_SUCCESS").write_bytes(b"")
    assert (inputs / "_entities" / "good.cards.parquet").is_file()  # written, not an extract
    assert [e.name for e in list_extracts(spark, str(inputs))] == [
        "broken.parquet", "empty.parquet", "good.parquet"]
    settings = settings_for(tmp, inputs)
    dataset = load_schema(CARD)
    with pytest.raises(InputError, match=r"/broken\.parquet: cannot be read as Parquet \("):
        publish(spark, settings, dataset, Roles.of(dataset.analysis))
    (inputs / "broken.parquet").unlink()
    pq.write_table(pa.table({"amount": ["12.5"]}), inputs / "other.parquet")
    with pytest.raises(InputError, match=r"^the Parquet extracts good\.parquet, "
                                         r"other\.parquet do not merge into one table \("):
        publish(spark, settings, dataset, Roles.of(dataset.analysis))
    (inputs / "other.parquet").unlink()
    assert publish(spark, settings, dataset, Roles.of(dataset.analysis)) == 0
    quality = json.loads(BatchOutputs(Path(settings.out_local_csv)).quality_file.read_text())
    assert quality["rows_read"] == 500 and len(quality["input_files"]) == 1

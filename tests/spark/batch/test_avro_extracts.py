"""Avro extracts through the batch job, read by Spark's Avro data source (spark-avro 4.1.1
against our Spark 4.1.3, jvm/spark-avro): the same outputs, byte for byte, as the CSV of the
same schema and seed (times in each format, nullable fields, money decimals, lifecycle
per-state fields and the funnel), mixed with CSV in one folder, a broken file named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.outputs import BatchOutputs
from services.schema import Dataset, load_schema, parse_schema
from services.spark.batch_job import publish
from services.spark.cleansing import Roles
from services.spark.extracts import InputError, list_extracts, read_extracts
from tests.lifecycles import DOC
from tests.schemas import CARD, RETAIL, write_extract
from tests.spark.batch.recompute import messy_card_dataset, settings_for
from tests.spark.batch.test_parquet_extracts import card_with_time_format, published

pytestmark = pytest.mark.spark

DATASETS = {
    "card-iso": lambda: messy_card_dataset(2_000),
    "card-epoch-s": lambda: card_with_time_format("epoch_s"),
    "card-strftime": lambda: card_with_time_format("%d/%m/%Y %H:%M:%S"),
    "retail": lambda: load_schema(RETAIL),
    "lifecycle": lambda: parse_schema(DOC, source="lifecycle.json"),
}


def funnel(root: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(root.glob("**/*_funnel/part-*.csv"))]


@pytest.mark.parametrize("name", DATASETS)
def test_an_avro_extract_gives_the_outputs_of_the_same_rows_as_csv(spark, tmp_path, name):
    dataset = DATASETS[name]()
    as_csv = published(spark, tmp_path / "csv", dataset, ["csv"])
    as_avro = published(spark, tmp_path / "avro", dataset, ["avro"])
    assert as_avro["quality"] == as_csv["quality"]
    assert as_csv["quality"]["rows_read"] >= 2_000  # a lifecycle's episodes: more events
    assert as_avro["csv"] == as_csv["csv"] and as_avro["kpis"] == as_csv["kpis"]
    assert as_avro["parquet"].equals(as_csv["parquet"])
    assert funnel(tmp_path / "avro") == funnel(tmp_path / "csv")
    if name == "lifecycle":
        assert funnel(tmp_path / "csv")


def test_avro_mixes_with_csv_in_one_folder(spark, tmp_path):
    """Parts of one run in two formats: the same rows as the run in one format."""
    dataset = messy_card_dataset(2_000)
    text = published(spark, tmp_path / "text", dataset, ["csv", "csv"])
    mixed = published(spark, tmp_path / "mixed", dataset, ["avro", "csv"])
    assert mixed["quality"]["rows_read"] == 4_000
    assert mixed["quality"] == text["quality"]
    assert mixed["csv"] == text["csv"] and mixed["kpis"] == text["kpis"]


def test_a_broken_avro_extract_is_named(spark, folders):
    tmp, inputs = folders
    good = write_extract(load_schema(CARD), inputs, "good", 1, 5_000, fmt="avro")
    settings = settings_for(tmp, inputs)
    dataset = load_schema(CARD)
    (inputs / "text.avro").write_bytes(b"id,amount\n1,2.5\n")
    with pytest.raises(InputError, match=r"/text\.avro: cannot be read as Avro \("):
        publish(spark, settings, dataset, Roles.of(dataset.analysis))
    (inputs / "text.avro").unlink()
    data = good.read_bytes()
    (inputs / "cut.avro").write_bytes(data[:len(data) // 2])
    with pytest.raises(InputError, match=r"/cut\.avro: cannot be read \("):
        publish(spark, settings, dataset, Roles.of(dataset.analysis))
    (inputs / "cut.avro").unlink()
    assert publish(spark, settings, dataset, Roles.of(dataset.analysis)) == 0
    quality = json.loads(BatchOutputs(Path(settings.out_local_csv)).quality_file.read_text())
    assert quality["rows_read"] == 5_000




def with_extra_field() -> Dataset:
    raw = json.loads(CARD.read_text())
    raw["schema"]["fields"].append({"name": "extra", "type": "int", "min": 1, "max": 9})
    return parse_schema(raw, source=str(CARD), default_name="card_transactions")


def test_avro_files_of_two_schemas_are_read_each_by_its_own(spark, tmp_path):
    """Spark reads a set of Avro files by the first one's schema: a later file's field that
    the first lacks would be lost, so files are read in groups of one schema."""
    plain, extra = load_schema(CARD), with_extra_field()
    for fmt in ("avro", "csv"):
        write_extract(plain, tmp_path / fmt, "a-plain", 1, 700, fmt=fmt)
        write_extract(extra, tmp_path / fmt, "b-extra", 2, 300, fmt=fmt)
    frames = {}
    for fmt in ("avro", "csv"):
        frame, _ = read_extracts(spark, list_extracts(spark, str(tmp_path / fmt)), plain)
        frames[fmt] = sorted(frame.select("extra", "amount").collect(), key=str)
    assert frames["avro"] == frames["csv"]
    assert sum(row["extra"] is not None for row in frames["avro"]) == 300

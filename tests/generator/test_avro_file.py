"""`--format avro`: an Avro Object Container File that a consumer with only fastavro reads
back to exactly the rows of the CSV of the same run (every kind of value), one data block
per generator block, its header and sync marker fixed by the seed and the schema."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import fastavro
import pytest

from services.commands import generate as generate_main
from services.common.avro_container import MAGIC, sync_marker
from services.generator import write_dataset
from services.generator.block import BLOCK_SIZE
from services.schema import Dataset, avro_schema, load_schema, parse_schema, record_fields
from tests.schemas import SHIPPED

CARDS = {"cards": {"count": 50, "key": "card_id", "fields": [
    {"name": "card_id", "type": "id_sequence", "start": 100},
    {"name": "tier", "type": "category", "choices": ["gold", "plain"]},
    {"name": "limit", "type": "float", "decimals": 1, "null_prob": 0.2}]}}
FIELDS = [
    {"name": "id", "type": "id_sequence"},
    {"name": "u", "type": "uuid"},
    {"name": "t", "type": "datetime"},
    {"name": "ms", "type": "datetime", "format": "epoch_ms"},
    {"name": "s", "type": "datetime", "format": "epoch_s", "null_prob": 0.1},
    {"name": "day", "type": "datetime", "format": "%d/%m/%Y %H:%M"},
    {"name": "clock", "type": "datetime", "format": "%H:%M"},
    {"name": "c", "type": "category", "choices": ["plain", "with,comma", 'with "quote"',
                                                  "multi\nline", "ünï", ""]},
    {"name": "i", "type": "int", "min": -300, "max": 300, "null_prob": 0.1},
    {"name": "f", "type": "float", "distribution": "normal", "stddev": 1e6},
    {"name": "amount", "type": "float", "distribution": "normal", "stddev": 500,
     "decimals": 2, "null_prob": 0.05},
    {"name": "b", "type": "bool", "null_prob": 0.2},
    {"name": "g", "type": "geo", "bbox": [40, -5, 50, 5]},
    {"name": "gs", "type": "geo", "bbox": [40, -5, 50, 5], "as_object": False},
    {"name": "card", "type": "ref", "entity": "cards"},
    {"name": "tier", "type": "lookup", "ref": "card", "attribute": "tier"},
    {"name": "limit", "type": "lookup", "ref": "card", "attribute": "limit"},
    {"name": "joined", "type": "derived_concat", "parts": ["tier", "c"], "sep": "/"},
]
ANALYSIS = {"currency": "EUR", "numeric_fields": ["amount", "i"],
            "measures": [{"name": "sales", "expr": "amount", "money": True}]}
ROWS = 2 * BLOCK_SIZE + 77
SEED = 11


def every_type(rows: int = ROWS, fmt: str = "avro") -> Dataset:
    data = {"schema": {"fields": FIELDS}, "entities": CARDS, "analysis": ANALYSIS,
            "output": {"format": fmt}}
    return parse_schema(data, source="t.json").with_overrides(entity_count=rows)


def written(folder: Path, ds: Dataset, name: str = "out", seed: int = SEED,
            workers: int = 1) -> Path:
    path = folder / f"{name}{ds.output.suffix}"
    write_dataset(ds, path, seed=seed, workers=workers)
    return path


def parse_cell(cell: str, kind, field: dict):
    """A CSV cell as the value fastavro gives for an Avro type (the consumer's view)."""
    if isinstance(kind, list):  # ["null", T]
        return None if cell == "" else parse_cell(cell, kind[1], field)
    logical = kind.get("logicalType") if isinstance(kind, dict) else None
    if logical == "timestamp-millis":
        fmt = field.get("format", "iso")
        if fmt == "epoch_ms":
            return datetime.fromtimestamp(int(cell) / 1000, timezone.utc)
        if fmt == "epoch_s":
            return datetime.fromtimestamp(int(cell), timezone.utc)
        moment = (datetime.fromisoformat(cell) if fmt == "iso"
                  else datetime.strptime(cell, fmt))
        return moment.replace(tzinfo=timezone.utc)
    if logical == "decimal":
        return Decimal(cell)
    if logical == "uuid":
        return cell
    if isinstance(kind, dict) and kind["type"] == "record":
        return json.loads(cell)
    return {"long": int, "double": float, "string": str,
            "boolean": {"true": True, "false": False}.__getitem__}[kind](cell)


def test_a_fastavro_consumer_reads_exactly_the_rows_of_the_csv(tmp_path):
    avro_ds, csv_ds = every_type(), every_type(fmt="csv")
    with written(tmp_path, avro_ds).open("rb") as source:
        reader = fastavro.reader(source)
        schema, records = reader.writer_schema, list(reader)
        assert reader.codec == "deflate"
    with written(tmp_path, csv_ds).open(newline="", encoding="utf-8") as text:
        rows = list(csv.DictReader(text))
    declared = {f["name"]: f for f in FIELDS}
    kinds = {f["name"]: f["type"] for f in schema["fields"]}
    assert list(kinds) == list(declared)  # the file's fields exactly: no event_time added
    assert len(records) == len(rows) == ROWS
    for record, row in zip(records, rows, strict=True):
        record["u"] = str(record["u"])
        expected = {name: parse_cell(cell, kinds[name], declared[name])
                    for name, cell in row.items()}
        assert record == expected
    seen = {name: {r[name] is None for r in records} for name in kinds}
    assert seen["i"] == seen["amount"] == seen["b"] == seen["s"] == {True, False}
    assert seen["limit"] == {True, False}  # a lookup of a nullable attribute
    assert min(r["amount"] for r in records if r["amount"] is not None) < -1000  # negatives
    assert any(r["day"].minute for r in records) and isinstance(records[0]["clock"], str)


def test_the_header_holds_the_record_the_codec_and_a_marker_from_seed_and_schema(tmp_path):
    ds = every_type(rows=10)
    data = written(tmp_path, ds).read_bytes()
    record = avro_schema(ds, record_fields(ds))
    assert data.startswith(MAGIC)
    with (tmp_path / "out.avro").open("rb") as source:
        reader = fastavro.reader(source)
        assert reader.metadata["avro.codec"] == "deflate"
        assert json.loads(reader.metadata["avro.schema"]) == record
    marker = sync_marker(SEED, record)
    assert data.endswith(marker) and data.count(marker) == 2  # the header's, one block's
    other = written(tmp_path, ds, "other", seed=SEED + 1).read_bytes()
    assert marker not in other and sync_marker(SEED + 1, record) in other


def test_one_data_block_per_generator_block(tmp_path):
    with written(tmp_path, every_type()).open("rb") as source:
        counts = [block.num_records for block in fastavro.block_reader(source)]
    assert counts == [BLOCK_SIZE, BLOCK_SIZE, 77]


def test_an_empty_run_is_a_header_that_reads_as_no_records(tmp_path):
    path = written(tmp_path, every_type(rows=0))
    with path.open("rb") as source:
        assert list(fastavro.reader(source)) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_schemas_write_avro_that_fastavro_reads_with_their_entity_tables(tmp_path, path):
    ds = load_schema(path).with_overrides(entity_count=3000, output_format="avro")
    out = written(tmp_path, ds)
    with out.open("rb") as source:
        records = list(fastavro.reader(source))
    assert len(records) >= 3000 if ds.lifecycle else len(records) == 3000
    tables = sorted((tmp_path / "_entities").glob("*.avro")) if ds.entities else []
    assert [p.name for p in tables] == sorted(f"out.{e.name}.avro" for e in ds.entities)
    for table, entity in zip(tables, sorted(ds.entities, key=lambda e: e.name), strict=True):
        with table.open("rb") as source:
            assert len(list(fastavro.reader(source))) == entity.count


@pytest.mark.parametrize("fmt", ["%c", "%x %X", "%Y-%j %H", "%A, %d %B %Y %H:%M", "%y%m%d"])
def test_a_strftime_time_is_the_instant_its_text_names(tmp_path, fmt):
    fields = [{"name": "t", "type": "datetime", "format": fmt}]
    ds = parse_schema({"schema": {"fields": fields}, "output": {"format": "avro"}},
                      source="t.json").with_overrides(entity_count=50)
    with written(tmp_path, ds).open("rb") as source:
        got = [r["t"] for r in fastavro.reader(source)]
    lines = written(tmp_path, ds.with_overrides(output_format="csv")).read_text().splitlines()
    assert got == [datetime.strptime(cell.strip('"'), fmt).replace(tzinfo=timezone.utc)
                   for cell in lines[1:]]


@pytest.mark.parametrize("where", ["schema", "entity"])
def test_a_format_arrow_cannot_read_back_is_refused_before_anything_is_written(
        tmp_path, capsys, where):
    """ISO weeks (%G, %V, %u) Arrow writes but reads as 1900-01-01: no silent wrong times."""
    week = {"name": "t", "type": "datetime", "format": "%G-W%V-%u"}
    doc = {"schema": {"fields": [week]}, "output": {"format": "avro"}}
    name = "t"
    if where == "entity":
        doc = {"schema": {"fields": [{"name": "k", "type": "ref", "entity": "e"}]},
               "entities": {"e": {"count": 5, "key": "id", "fields": [
                   {"name": "id", "type": "id_sequence"}, week]}},
               "output": {"format": "avro"}}
        name = "e.t"
    config = tmp_path / "week.json"
    config.write_text(json.dumps(doc))
    out = tmp_path / "out"
    assert generate_main(["--config", str(config), "--out", str(out / "x.avro"), "--seed",
                          "1"]) == 2
    err = capsys.readouterr().err
    assert f"error: field {name}: Avro holds its time as an instant" in err
    assert "'%G-W%V-%u'" in err and "Traceback" not in err and not out.exists()
    assert generate_main(["--config", str(config), "--out", str(out / "x.csv"), "--seed",
                          "1"]) == 0

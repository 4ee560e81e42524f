"""Avro extracts (services.extracts.avro_reader): an Avro file the generator wrote reads to
exactly the text columns of the CSV of the same schema and seed (every field type, nulls,
decimals, timestamps in each format, lifecycle per-state fields), a batch at a time; a folder
mixes Avro with CSV parts; a broken or foreign file is one line naming it."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import fastavro
import numpy as np
import pyarrow as pa
import pytest

from services.common.avro_container import TIME_FORMATS
from services.extracts import (
    AVRO,
    ExtractError,
    extract_batches,
    find_extracts,
    is_extract,
    kind_of,
    local_listing,
    read_extract,
    text_batches,
)
from services.extracts.avro_reader import avro_batches, decimal_values, time_text
from services.schema import parse_schema
from tests.generator.test_avro_file import every_type, written
from tests.lifecycles import DOC

SEED = 11


def same_text(avro: Path, csv: Path, decimals: tuple[str, ...] = ()) -> int:
    """Both files read to the same columns, in the same order, with the same text; but for
    a decimal that rounded to -0.0, which Avro's decimal (an integer) holds as 0."""
    a, b = read_extract(avro), read_extract(csv)
    assert a.names == b.names and a.num_rows == b.num_rows and not a.bad and not b.bad
    for name in a.names:
        expected = b.columns[name].text.to_pylist()
        if name in decimals:
            expected = ["0.0" if v == "-0.0" else v for v in expected]
        assert a.columns[name].text.to_pylist() == expected, name
    return a.num_rows


def test_an_avro_file_reads_to_the_text_of_the_csv_of_the_same_run(tmp_path):
    """Every kind: ids, uuids, iso/epoch_ms/epoch_s/strftime times, a time of day, text with
    commas, quotes, line breaks and an empty choice, nullable ints, floats, money decimals,
    booleans, geo objects and strings, refs and lookups of nullable attributes, concats."""
    rows = same_text(written(tmp_path, every_type(), "a"),
                     written(tmp_path, every_type(fmt="csv"), "c"), decimals=("amount",))
    assert rows == every_type().entity_count
    text = read_extract(tmp_path / "a.avro").columns
    assert text["ms"].text[0].as_py().isdigit() and "/" in text["day"].text[0].as_py()
    assert text["s"].text.null_count and text["amount"].text.null_count  # nulls stay null


def test_lifecycle_per_state_fields_read_as_in_csv(tmp_path):
    for fmt in ("avro", "csv"):
        ds = parse_schema({**DOC, "output": {"format": fmt}}, source="l.json")
        written(tmp_path, ds, fmt, seed=SEED)
    assert same_text(tmp_path / "avro.avro", tmp_path / "csv.csv") > 0
    amount = read_extract(tmp_path / "avro.avro").columns["amount"].text
    assert 0 < amount.null_count < len(amount)  # null in the rows of the other states


@pytest.mark.parametrize("rows_per_batch", [1, 1000, 4097])
def test_batches_are_bounded_and_number_their_rows(tmp_path, rows_per_batch):
    path = written(tmp_path, every_type(rows=4097))
    batches = list(avro_batches(path, rows_per_batch))
    assert [b.num_rows for b in batches][:1] == [min(rows_per_batch, 4097)]
    assert sum(b.num_rows for b in batches) == 4097
    last = batches[-1]
    assert last.lines_of(np.array([last.num_rows - 1]))[0] == 4097  # 1-based row numbers
    assert next(iter(text_batches(path))).num_rows == 4097  # all in one batch of 16,384 at most


def test_avro_is_an_extract_of_its_own_kind_and_mixes_with_csv_parts(tmp_path):
    assert kind_of("part-00001.AVRO") == AVRO and is_extract("parts/part-00001.avro")
    parts = tmp_path / "run"
    parts.mkdir()
    written(parts, every_type(rows=300), "part-00000")
    written(parts, every_type(rows=200, fmt="csv"), "part-00001", seed=SEED + 1)
    listing = local_listing(parts)
    assert [p.name for p in listing.extracts] == ["part-00000.avro", "part-00001.csv"]
    assert sorted(p.name for p in listing.tables) == ["part-00000.cards.avro",
                                                      "part-00001.cards.csv"]
    assert not listing.skipped and find_extracts(parts) == listing.extracts
    assert [read_extract(p).num_rows for p in listing.extracts] == [300, 200]
    cards = read_extract(listing.tables[0])
    assert cards.names == ("card_id", "tier", "limit") and cards.num_rows == 50


def broken(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path: Path) -> str:
    with pytest.raises(ExtractError) as caught:
        list(extract_batches(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


def test_a_broken_avro_file_is_one_line_naming_it(tmp_path):
    data = written(tmp_path, every_type(rows=5000)).read_bytes()
    assert "cannot be read as Avro" in refused(broken(tmp_path, "cut.avro", data[:-9000]))
    assert "it starts b'id,a'" in refused(broken(tmp_path, "csv.avro", b"id,amount\n1,2\n"))
    assert "it is empty" in refused(broken(tmp_path, "empty.avro", b""))
    assert "header cannot be read" in refused(broken(tmp_path, "head.avro", data[:30]))
    flipped = bytearray(data)
    flipped[-20] ^= 0xFF  # inside the last block's deflate stream
    assert "cannot be read as Avro" in refused(broken(tmp_path, "flip.avro", bytes(flipped)))


def foreign(tmp_path: Path, schema: dict, records: list[dict]) -> Path:
    out = io.BytesIO()
    fastavro.writer(out, schema, records)
    return broken(tmp_path, "foreign.avro", out.getvalue())


@pytest.mark.parametrize(("kind", "value"), [
    ({"type": "array", "items": "long"}, [1, 2]),
    ({"type": "map", "values": "string"}, {"a": "b"}),
    ({"type": "enum", "name": "E", "symbols": ["A"]}, "A"),
    ("bytes", b"x"),
    ("int", 3),
    (["null", "long", "string"], 3),
])
def test_a_schema_that_is_not_an_extracts_is_refused_naming_the_field(tmp_path, kind, value):
    schema = {"type": "record", "name": "r", "fields": [
        {"name": "ok", "type": "string"}, {"name": "odd", "type": kind}]}
    message = refused(foreign(tmp_path, schema, [{"ok": "x", "odd": value}]))
    assert "field 'odd' is of Avro type" in message and "not one an extract holds" in message


def test_a_file_of_plain_values_from_another_writer_reads(tmp_path):
    """fastavro's own writer, no time formats in the header: times read as ISO-8601."""
    schema = {"type": "record", "name": "r", "fields": [
        {"name": "t", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 18,
                               "scale": 2}},
        {"name": "s", "type": "string"}]}
    schema["fields"].append({"name": "n", "type": ["null", {"type": "long"}]})
    records = [{"t": 1_709_208_000_500, "d": Decimal("-1.28"), "s": "  padded ", "n": 7},
               {"t": None, "d": Decimal("12345.60"), "s": "", "n": None}]
    extract = read_extract(foreign(tmp_path, schema, records))
    assert extract.rows() == [
        {"t": "2024-02-29T12:00:00.500", "d": "-1.28", "s": "padded", "n": "7"},
        {"t": None, "d": "12345.6", "s": None, "n": None}]


def test_decimals_of_every_width_and_sign_read_exactly():
    unscaled = [0, 1, -1, 127, 128, -128, -129, 32767, -32768, 10**17, -(10**17), 2**62]
    raw = [v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True) for v in unscaled]
    raw[5] = b"\x80"  # -128 in one byte, as Java writes it
    values = pa.array([*raw, None], pa.binary())
    got = decimal_values(values, 2).to_pylist()
    assert got == [v / 100 for v in unscaled] + [None]
    with pytest.raises(ValueError, match="more than 8 bytes"):
        decimal_values(pa.array([b"\x01" * 9]), 0)


@pytest.mark.parametrize(("fmt", "text"), [
    ("epoch_ms", "-1500"), ("epoch_s", "-2"), ("iso", "1969-12-31T23:59:58.500"),
    ("%d/%m/%Y %H:%M", "31/12/1969 23:59")])
def test_times_read_in_their_fields_format(fmt, text):
    assert time_text(pa.array([-1500, None], pa.int64()), fmt).to_pylist() == [text, None]


def test_the_header_names_each_timestamp_fields_format(tmp_path):
    with written(tmp_path, every_type(rows=10)).open("rb") as source:
        formats = json.loads(fastavro.reader(source).metadata[TIME_FORMATS])
    assert formats == {"t": "iso", "ms": "epoch_ms", "s": "epoch_s", "day": "%d/%m/%Y %H:%M"}

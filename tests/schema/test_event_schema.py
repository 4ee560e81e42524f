"""The events' Avro record and JSON Schema, derived from the schema file: one test per field
type, nullability, money as decimal only where declared, and event_time always a non-null
timestamp. Both renderings are checked by their own libraries (fastavro parses the record
and round-trips an event)."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import fastavro
import pytest

from services.schema import (
    EventField,
    avro_schema,
    event_fields,
    json_schema,
    load_schema,
    parse_schema,
    record_fields,
)
from tests.schema.documents import schema
from tests.schemas import SHIPPED

CARDS = {"cards": {"count": 10, "key": "card_id", "fields": [
    {"name": "card_id", "type": "id_sequence", "start": 100},
    {"name": "tier", "type": "category", "choices": ["gold", "plain"]},
    {"name": "limit", "type": "float", "null_prob": 0.2}]}}
TIMESTAMP = {"type": "long", "logicalType": "timestamp-millis"}


def fields_of(*fields, **top) -> dict[str, EventField]:
    dataset = parse_schema(schema(*fields, **top), source="test.json")
    return {f.name: f for f in event_fields(dataset)}


def avro_types(*fields, **top) -> dict[str, object]:
    record = avro_schema(parse_schema(schema(*fields, **top), source="test.json"))
    fastavro.parse_schema(record)  # a valid Avro schema
    return {f["name"]: f["type"] for f in record["fields"]}


@pytest.mark.parametrize(("field", "kind"), [
    ({"type": "uuid"}, {"type": "string", "logicalType": "uuid"}),
    ({"type": "id_sequence"}, "long"),
    ({"type": "int", "min": 1, "max": 9}, "long"),
    ({"type": "float"}, "double"),
    ({"type": "float", "decimals": 2}, "double"),  # not money: no currency, no money measure
    ({"type": "bool"}, "boolean"),
    ({"type": "category", "choices": ["a", "b"]}, "string"),
    ({"type": "string", "pattern": "X-{00-99}"}, "string"),
    ({"type": "datetime"}, TIMESTAMP),
    ({"type": "datetime", "format": "epoch_ms"}, TIMESTAMP),
    ({"type": "datetime", "format": "epoch_s"}, TIMESTAMP),
    ({"type": "datetime", "format": "%d/%m/%Y %H:%M"}, TIMESTAMP),
    ({"type": "datetime", "format": "%H:%M"}, "string"),  # no day: not an instant
    ({"type": "geo", "as_object": False}, "string"),
    ({"type": "faker", "provider": "name"}, "string"),
    ({"type": "faker", "provider": "random_int"}, "long"),
])
def test_each_field_type_has_its_avro_type(field: dict, kind: object) -> None:
    assert avro_types({"name": "x", **field})["x"] == kind


def test_geo_objects_are_records_of_lat_and_lon() -> None:
    kind = avro_types({"name": "where", "type": "geo"})["where"]
    assert kind["type"] == "record"
    assert kind["fields"] == [{"name": "lat", "type": "double"},
                              {"name": "lon", "type": "double"}]


def test_derived_fields_take_the_type_of_their_values() -> None:
    kinds = avro_types(
        {"name": "a", "type": "category", "choices": ["x", "y"]},
        {"name": "b", "type": "category", "choices": ["x", "z"]},
        {"name": "joined", "type": "derived_concat", "parts": ["a", "b"]},
        {"name": "same", "type": "derived_compare", "left": "a", "op": "==", "right": "b"},
        {"name": "score", "type": "derived_map", "from_field": "a", "map": {"x": 1, "y": 2},
         "default": 0},
        {"name": "label", "type": "derived_map", "from_field": "a", "map": {"x": "ex"}})
    assert kinds["joined"] == "string"
    assert kinds["same"] == "boolean"
    assert kinds["score"] == "long"
    assert kinds["label"] == ["null", "string"]  # no default: unmapped values are null


def test_refs_and_lookups_are_plain_fields_of_the_values_they_copy() -> None:
    kinds = avro_types({"name": "card", "type": "ref", "entity": "cards"},
                       {"name": "tier", "type": "lookup", "ref": "card", "attribute": "tier"},
                       {"name": "limit", "type": "lookup", "ref": "card", "attribute": "limit"},
                       entities=CARDS)
    assert kinds["card"] == "long"
    assert kinds["tier"] == "string"
    assert kinds["limit"] == ["null", "double"]  # the attribute itself can be null


def test_nulls_carry_from_a_ref_into_its_lookups_and_comparisons() -> None:
    found = fields_of({"name": "card", "type": "ref", "entity": "cards", "null_prob": 0.1},
                      {"name": "tier", "type": "lookup", "ref": "card", "attribute": "tier"},
                      {"name": "c", "type": "category", "choices": ["gold"]},
                      {"name": "same", "type": "derived_compare", "left": "tier", "op": "==",
                       "right": "c"},
                      {"name": "joined", "type": "derived_concat", "parts": ["tier", "c"]},
                      entities=CARDS)
    assert found["card"].nullable and found["tier"].nullable and found["same"].nullable
    assert not found["c"].nullable
    assert not found["joined"].nullable  # a concat writes a null part as ''


def test_null_prob_makes_a_union_with_null_defaulting_to_null() -> None:
    record = avro_schema(parse_schema(schema(
        {"name": "q", "type": "int", "null_prob": 0.3}, {"name": "r", "type": "int"}),
        source="test.json"))
    by_name = {f["name"]: f for f in record["fields"]}
    assert by_name["q"] == {"name": "q", "type": ["null", "long"], "default": None}
    assert by_name["r"] == {"name": "r", "type": "long"}
    assert json_schema(parse_schema(schema({"name": "q", "type": "int", "null_prob": 0.3}),
                                    source="t.json"))["properties"]["q"]["type"] == \
        ["integer", "null"]


def test_money_is_a_decimal_where_a_money_measure_reads_a_float_with_decimals() -> None:
    fields = ({"name": "amount", "type": "float", "decimals": 2},
              {"name": "rate", "type": "float", "decimals": 4},
              {"name": "n", "type": "int"})
    analysis = {"currency": "EUR", "numeric_fields": ["amount", "rate", "n"],
                "measures": [{"name": "sales", "expr": "amount", "money": True},
                             {"name": "rate", "expr": "rate", "agg": "mean", "money": False},
                             {"name": "n", "expr": "n"}]}
    kinds = avro_types(*fields, analysis=analysis)
    assert kinds["amount"] == {"type": "bytes", "logicalType": "decimal", "precision": 18,
                               "scale": 2}
    assert kinds["rate"] == "double"
    assert kinds["n"] == "long"


def test_event_time_is_added_last_or_kept_in_place_as_a_non_null_iso_timestamp() -> None:
    added = list(fields_of({"name": "a", "type": "int"}).values())
    assert added[-1] == EventField("event_time", "timestamp", False, "iso")
    kept = list(fields_of({"name": "event_time", "type": "datetime", "format": "epoch_s",
                           "null_prob": 0.5}, {"name": "a", "type": "int"}).values())
    assert [f.name for f in kept] == ["event_time", "a"]
    assert kept[0] == EventField("event_time", "timestamp", False, "iso")


def test_json_schema_types_and_required_keys() -> None:
    out = json_schema(parse_schema(schema(
        {"name": "id", "type": "uuid"}, {"name": "ms", "type": "datetime", "format": "epoch_ms"},
        {"name": "at", "type": "datetime", "format": "%Y/%m/%d"},
        {"name": "where", "type": "geo"}, {"name": "maybe", "type": "bool", "null_prob": 0.1}),
        source="t.json"))
    props = out["properties"]
    assert props["id"] == {"type": "string", "format": "uuid"}
    assert props["ms"]["type"] == "integer"
    assert props["at"]["type"] == "string" and "%Y/%m/%d" in props["at"]["description"]
    assert props["where"]["type"] == "object"
    assert props["event_time"]["type"] == "string"
    assert out["required"] == ["id", "ms", "at", "where", "event_time"]
    assert out["$schema"].startswith("http://json-schema.org/draft-07")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_schemas_round_trip_an_event_through_fastavro(path) -> None:
    dataset = load_schema(path)
    parsed = fastavro.parse_schema(avro_schema(dataset))
    values = {"long": 7, "double": 1.5, "boolean": True, "string": "s",
              "uuid": uuid.UUID("5b6e1d0c-7f34-4a53-9c1e-0b1f6c2a9d11"),
              "decimal": Decimal("12.34"),
              "timestamp": datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
              "geo": {"lat": 1.0, "lon": 2.0}}
    event = {f.name: values[f.kind] for f in event_fields(dataset)}
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, event)
    buffer.seek(0)
    assert fastavro.schemaless_reader(buffer, parsed, None) == event


def test_a_files_record_holds_the_schema_files_fields_exactly() -> None:
    """record_fields (what an Avro container file holds, as its CSV does): no event_time
    added, a declared event_time as the schema file says, nulls and all."""
    dataset = parse_schema(schema({"name": "event_time", "type": "datetime",
                                   "format": "epoch_s", "null_prob": 0.5},
                                  {"name": "a", "type": "int"}), source="t.json")
    assert record_fields(dataset) == (EventField("event_time", "timestamp", True, "epoch_s"),
                                      EventField("a", "long", False))
    plain = parse_schema(schema({"name": "a", "type": "int"}), source="t.json")
    assert [f.name for f in record_fields(plain)] == ["a"]
    assert [f.name for f in event_fields(plain)] == ["a", "event_time"]


def test_a_lifecycles_per_state_fields_are_nullable(lifecycle_dataset) -> None:
    cycle = lifecycle_dataset.lifecycle
    per_state = {f.name for f in cycle.extra_fields}
    found = {f.name: f for f in record_fields(lifecycle_dataset)}
    assert per_state and all(found[name].nullable for name in per_state)
    assert not found[cycle.state_field].nullable
    assert {f.name: f for f in event_fields(lifecycle_dataset)}.keys() >= per_state


@pytest.fixture
def lifecycle_dataset():
    return load_schema(next(p for p in SHIPPED if p.stem == "retail_order_lifecycle"))

"""The schema contract: good files load into models, every bad file is refused in full."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from services.schema import SchemaError, load_schema, parse_schema
from services.schema.fields import CategoryField, DatetimeField, FloatField, IntField

SCHEMAS = Path(__file__).resolve().parents[2] / "services" / "batch" / "schemas"


def schema(*fields, **top):
    return {"schema": {"fields": list(fields)}, **top}


def problems_of(data) -> list[str]:
    with pytest.raises(SchemaError) as caught:
        parse_schema(data, source="test.json")
    return [str(p) for p in caught.value.problems]


def test_defaults_of_a_minimal_file():
    ds = parse_schema(schema({"name": "id", "type": "uuid"}), default_name="things")
    assert ds.seed is None and ds.entity_count == 1000
    assert ds.time_window.start == datetime(2025, 1, 1)
    assert ds.time_window.end == datetime(2025, 1, 7, 23, 59, 59)
    assert (ds.output.format, ds.output.gzip) == ("csv", False)
    assert ds.analysis.name == "things" and ds.analysis.timestamp_field is None


def test_analysis_defaults_follow_field_types():
    ds = parse_schema(schema(
        {"name": "t", "type": "datetime"}, {"name": "t2", "type": "datetime"},
        {"name": "c", "type": "category", "choices": ["a"]},
        {"name": "i", "type": "int"}, {"name": "f", "type": "float"},
        {"name": "b", "type": "bool"}, {"name": "s", "type": "string"},
    ))
    a = ds.analysis
    assert a.timestamp_field == "t" and a.date_column == "t_date"
    assert a.dimensions == ("c",) and a.numeric_fields == ("i", "f")
    assert a.boolean_fields == ("b",) and a.currency is None


def test_field_parameters_and_defaults():
    ds = parse_schema(schema(
        {"name": "i", "type": "int", "min": -5, "max": 5, "skew": 2},
        {"name": "f", "type": "float", "distribution": "lognormal", "mean": 3, "stddev": 0.5,
         "decimals": 2},
        {"name": "c", "type": "category", "choices": ["x", {"value": "y", "weight": 3}]},
        {"name": "t", "type": "datetime", "mode": "ramp", "direction": "down"},
    ))
    i, f, c, t = ds.fields
    assert isinstance(i, IntField) and (i.min, i.max, i.skew) == (-5, 5, 2)
    assert isinstance(f, FloatField) and f.param("mean") == 3 and f.decimals == 2
    assert isinstance(c, CategoryField) and [ch.weight for ch in c.choices] == [1.0, 3.0]
    assert isinstance(t, DatetimeField) and (t.mode, t.direction) == ("ramp", "down")


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.name)
def test_shipped_schemas_load(path):
    ds = load_schema(path)
    assert ds.analysis.timestamp_field and ds.analysis.dimensions


def test_card_schema_has_the_seed_columns_and_analysis():
    ds = load_schema(SCHEMAS / "card_transactions.json")
    assert ds.names == ("event_id", "event_time", "city", "channel", "merchant_cat", "card_id",
                        "amount", "is_international", "is_chip", "is_contactless",
                        "label_fraud", "key")
    a = ds.analysis
    assert a.timestamp_field == "event_time"
    assert a.dimensions == ("city", "channel", "merchant_cat")
    assert a.numeric_fields == ("amount",)
    assert set(a.boolean_fields) == {"is_international", "is_chip", "is_contactless",
                                     "label_fraud"}
    assert a.name and a.currency
    assert ds.field("key").parts == ("city", "merchant_cat", "channel", "card_id")
    assert ds.field("key").sep == "|"
    amount = ds.field("amount")
    assert amount.distribution == "lognormal" and amount.decimals == 2


def test_retail_schema_has_the_order_columns_and_a_conditional_category():
    ds = load_schema(SCHEMAS / "retail_orders.json")
    for name in ("order_id", "order_time", "store", "product", "quantity", "unit_price"):
        assert name in ds.names
    assert any(isinstance(f, CategoryField) and f.conditional_on for f in ds.fields)
    assert ds.analysis.dimensions[0] == "product"


BAD_CASES = {
    "unknown type": (
        schema({"name": "x", "type": "colour"}),
        "schema.fields[0].type: unknown type 'colour'; accepted: uuid, id_sequence, int",
    ),
    "duplicate name": (
        schema({"name": "x", "type": "uuid"}, {"name": "x", "type": "uuid"}),
        "schema.fields[1].name: duplicate name 'x'",
    ),
    "missing name": (schema({"type": "uuid"}), "schema.fields[0].name: is required"),
    "invalid name": (schema({"name": "a b", "type": "uuid"}), "not a valid column name"),
    "derived reads a later field": (
        schema({"name": "k", "type": "derived_concat", "parts": ["a"]},
               {"name": "a", "type": "uuid"}),
        "schema.fields[0]: reads 'a', which is declared later (schema.fields[1])",
    ),
    "derived reads an unknown field": (
        schema({"name": "k", "type": "derived_map", "from_field": "nope", "map": {}}),
        "schema.fields[0]: reads unknown field 'nope'",
    ),
    "conditional on a later field": (
        schema({"name": "p", "type": "category", "conditional_on": "s",
                "conditional_table": {"_default": ["x"]}},
               {"name": "s", "type": "category", "choices": ["a"]}),
        "reads 's', which is declared later",
    ),
    "all-zero weights": (
        schema({"name": "c", "type": "category",
                "choices": [{"value": "a", "weight": 0}, {"value": "b", "weight": 0}]}),
        "schema.fields[0].choices: weights are all zero",
    ),
    "negative weight": (
        schema({"name": "c", "type": "category",
                "choices": ["a", {"value": "b", "weight": -1}]}),
        "schema.fields[0].choices[1].weight: must be >= 0",
    ),
    "min > max": (
        schema({"name": "i", "type": "int", "min": 9, "max": 2}),
        "schema.fields[0].min: min (9) must be <= max (2)",
    ),
    "float min > max": (
        schema({"name": "f", "type": "float", "min": 9.5, "max": 2}),
        "schema.fields[0].min: min (9.5) must be <= max (2",
    ),
    "p_true above 1": (
        schema({"name": "b", "type": "bool", "p_true": 1.5}),
        "schema.fields[0].p_true: must be between 0 and 1, got 1.5",
    ),
    "null_prob below 0": (
        schema({"name": "b", "type": "bool", "null_prob": -0.1}),
        "schema.fields[0].null_prob: must be between 0 and 1",
    ),
    "start >= end": (
        schema({"name": "x", "type": "uuid"},
               time_window={"start": "2025-02-01", "end": "2025-01-01"}),
        "time_window: start (2025-02-01T00:00:00) must be before end",
    ),
    "unparseable date": (
        schema({"name": "x", "type": "uuid"},
               time_window={"start": "yesterday", "end": "2025-01-01"}),
        "time_window.start: cannot parse 'yesterday' as a date",
    ),
    "bbox of three numbers": (
        schema({"name": "g", "type": "geo", "bbox": [1, 2, 3]}),
        "schema.fields[0].bbox: must be four numbers",
    ),
    "bbox out of range": (
        schema({"name": "g", "type": "geo", "bbox": [10, 0, 95, 10]}),
        "schema.fields[0].bbox: [10, 0, 95, 10] is out of range",
    ),
    "analysis names no field": (
        schema({"name": "c", "type": "category", "choices": ["a"]},
               analysis={"dimensions": ["c", "ghost"]}),
        "analysis.dimensions[1]: names no field: 'ghost'",
    ),
    "analysis timestamp names no field": (
        schema({"name": "x", "type": "uuid"}, analysis={"timestamp_field": "when"}),
        "analysis.timestamp_field: names no field: 'when'",
    ),
    "unknown key": (
        schema({"name": "i", "type": "int", "maximum": 3}),
        "schema.fields[0].maximum: unknown key; accepted here:",
    ),
    "unknown distribution": (
        schema({"name": "f", "type": "float", "distribution": "poisson"}),
        "schema.fields[0].distribution: unknown value 'poisson'; accepted: uniform, normal",
    ),
    "uncovered conditional value": (
        schema({"name": "s", "type": "category", "choices": ["a", "b"]},
               {"name": "p", "type": "category", "conditional_on": "s",
                "conditional_table": {"a": ["x"]}}),
        "schema.fields[1].conditional_table: no entry for 'b' and no '_default'",
    ),
    "bad pattern range": (
        schema({"name": "s", "type": "string", "pattern": "X-{9-1}"}),
        "schema.fields[0].pattern: range {9-1}: low (9) must be <= high (1)",
    ),
    "seasonality weights all zero": (
        schema({"name": "t", "type": "datetime", "mode": "seasonality",
                "profile": {"hour_of_day": {"_default": 0}}}),
        "schema.fields[0].profile.hour_of_day: weights are all zero",
    ),
    "bad strftime": (
        schema({"name": "t", "type": "datetime", "format": "day"}),
        "schema.fields[0].format: 'day' is not iso, epoch_ms, epoch_s or a strftime pattern",
    ),
    "boolean where an integer is expected": (
        schema({"name": "i", "type": "int", "min": True}),
        "schema.fields[0].min: must be an integer, got true",
    ),
    "unknown faker provider": (
        schema({"name": "n", "type": "faker", "provider": "no_such_thing"}),
        "schema.fields[0].provider: unknown Faker provider 'no_such_thing'",
    ),
    "fields missing": ({"schema": {}}, "schema.fields: is required"),
    "not an object": ([1, 2], "must be an object, got a list"),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_files_are_refused_with_the_place_and_what_is_accepted(case):
    data, expected = BAD_CASES[case]
    found = problems_of(data)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    found = problems_of(schema(
        {"name": "x", "type": "colour"},
        {"name": "i", "type": "int", "min": 5, "max": 1},
        {"name": "b", "type": "bool", "p_true": 2},
        {"name": "i", "type": "uuid"},
        time_window={"start": "nope"},
        analysis={"dimensions": ["ghost"]},
        extra=1,
    ))
    assert len(found) >= 6, found
    places = " ".join(found)
    for where in ("schema.fields[0].type", "schema.fields[1].min", "schema.fields[2].p_true",
                  "schema.fields[3].name", "time_window.start", "analysis.dimensions[0]",
                  "extra"):
        assert where in places


def test_message_lists_one_line_per_problem():
    with pytest.raises(SchemaError) as caught:
        parse_schema(schema({"name": "x", "type": "colour"}, {"name": "y", "type": "int",
                                                              "min": 3, "max": 1}),
                     source="bad.json")
    lines = str(caught.value).splitlines()
    assert lines[0] == "bad.json: 2 problems"
    assert lines[1].startswith("  schema.fields[0].type: unknown type")


def test_unreadable_files(tmp_path):
    with pytest.raises(SchemaError, match="file not found"):
        load_schema(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": {"fields": [}')
    with pytest.raises(SchemaError, match=r"not valid JSON at line 1, column 24"):
        load_schema(broken)


def test_documentation_keys_are_allowed_everywhere(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({
        "description": "x", "schema": {"comment": "y", "fields": [
            {"name": "c", "type": "category", "description": "z",
             "choices": [{"value": "a", "weight": 1, "comment": "w"}]}]}}))
    assert load_schema(path).names == ("c",)


def test_faker_field_is_checked_at_load_time():
    ds = parse_schema(schema({"name": "city", "type": "faker", "provider": "city",
                              "locale": "de_DE"}))
    assert ds.fields[0].value_kind == "string"
    found = problems_of(schema({"name": "n", "type": "faker", "provider": "pyint",
                                "args": {"min_value": 5, "max_value": 1}}))
    assert any("schema.fields[0].args: Faker provider 'pyint' refused" in p for p in found)
    found = problems_of(schema({"name": "n", "type": "faker", "provider": "name",
                                "locale": "xx_XX"}))
    assert any("schema.fields[0].locale: unknown Faker locale 'xx_XX'" in p for p in found)

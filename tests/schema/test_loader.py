"""The schema contract: good files load into models, every bad file is refused in full."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from services.common.paths import SCHEMAS
from services.schema import SchemaError, load_schema, parse_schema
from services.schema.fields import CategoryField, DatetimeField, FloatField, IntField
from tests.schema.documents import problems_of, schema


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
    # the card schema's columns, with the card's looked-up attributes after card_id (a lookup and
    # the city conditional on it come after the ref they read)
    assert ds.names == ("event_id", "event_time", "card_id", "card_home_city", "card_type",
                        "card_limit", "city", "channel", "merchant_cat", "amount",
                        "is_international", "is_chip", "is_contactless", "label_fraud", "key")
    assert [e.name for e in ds.entities] == ["cards"]
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
        "time_window: start ('2025-02-01' = 2025-02-01T00:00:00 UTC) must be before end "
        "('2025-01-01' = 2025-01-01T23:59:59 UTC)",
    ),
    "time_window without an end": (
        schema({"name": "x", "type": "uuid"}, time_window={"start": "2025-02-10"}),
        "time_window.end: is required (a time_window gives both start and end, such as "
        "2025-01-07, 2025-01-07T23:59:59 or 2025-01-07T23:59:59+01:00)",
    ),
    "time_window without a start": (
        schema({"name": "x", "type": "uuid"}, time_window={"end": "2025-02-10"}),
        "time_window.start: is required (a time_window gives both start and end",
    ),
    "timestamp role on a float": (
        schema({"name": "t", "type": "datetime"}, {"name": "amount", "type": "float"},
               analysis={"timestamp_field": "amount"}),
        "analysis.timestamp_field: 'amount' is a float field; accepted: a datetime field "
        "(in this file: t)",
    ),
    "numeric role on a category": (
        schema({"name": "city", "type": "category", "choices": ["a"]},
               {"name": "amount", "type": "float"}, analysis={"numeric_fields": ["city"]}),
        "analysis.numeric_fields[0]: 'city' is a category field; accepted: an int, float or "
        "id_sequence field, or a category, derived_map, faker, ref or lookup field of numbers "
        "(in this file: amount)",
    ),
    "numeric role on epoch times": (
        schema({"name": "ms", "type": "datetime", "format": "epoch_ms"},
               analysis={"numeric_fields": ["ms"]}),
        "analysis.numeric_fields[0]: 'ms' is a datetime field of integers; accepted: an int",
    ),
    "boolean role on a category": (
        schema({"name": "city", "type": "category", "choices": ["a"]},
               {"name": "ok", "type": "bool"}, analysis={"boolean_fields": ["city"]}),
        "analysis.boolean_fields[0]: 'city' is a category field; accepted: a bool or "
        "derived_compare field, or a category, derived_map, faker or lookup field of booleans "
        "(in this file: ok)",
    ),
    "dimension role on a float": (
        schema({"name": "city", "type": "category", "choices": ["a"]},
               {"name": "amount", "type": "float"}, analysis={"dimensions": ["amount"]}),
        "analysis.dimensions[0]: 'amount' is a float field; accepted: a category, bool, "
        "derived_map or derived_compare field, or a lookup of one (in this file: city)",
    ),
    "mixed choices": (
        schema({"name": "pay", "type": "category", "choices": ["card", "cash", True]}),
        "schema.fields[0].choices: mixes text ('card') and booleans (true); a column holds one "
        'type: give all text, all numbers or all booleans (a value in quotes, such as "true", '
        "is text)",
    ),
    "mixed conditional choices": (
        schema({"name": "s", "type": "category", "choices": ["a"]},
               {"name": "p", "type": "category", "conditional_on": "s",
                "conditional_table": {"a": [1, 2], "_default": ["none"]}}),
        "schema.fields[1].conditional_table: mixes numbers (1) and text ('none')",
    ),
    "mixed map values": (
        schema({"name": "s", "type": "category", "choices": ["a"]},
               {"name": "m", "type": "derived_map", "from_field": "s", "map": {"a": 1.5},
                "default": "n/a"}),
        "schema.fields[1].default: mixes numbers (1.5) and text ('n/a')",
    ),
    "empty choices": (
        schema({"name": "c", "type": "category", "choices": []}),
        "schema.fields[0].choices: is empty; give at least one value to pick",
    ),
    "choices not a list": (
        schema({"name": "c", "type": "category", "choices": "a"}),
        "schema.fields[0].choices: must be a list of values, got 'a'",
    ),
    "conditional on a string field": (
        schema({"name": "s", "type": "string"},
               {"name": "p", "type": "category", "conditional_on": "s",
                "conditional_table": {"a": ["x"]}}),
        "schema.fields[1].conditional_table: needs a '_default' entry: the values of 's' (a "
        "string field) are not a known list",
    ),
    "conditional on a bool without false": (
        schema({"name": "b", "type": "bool"},
               {"name": "p", "type": "category", "conditional_on": "b",
                "conditional_table": {"true": ["x"]}}),
        "schema.fields[1].conditional_table: no entry for 'false' and no '_default'",
    ),
    "misspelt distribution value": (
        schema({"name": "f", "type": "float", "distribution": "lognormall"}),
        "schema.fields[0].distribution: unknown value 'lognormall' (did you mean "
        "'lognormal'?); accepted: uniform, normal, lognormal, exponential",
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


ONE_LINE_CASES = {
    "misspelt key": (
        schema({"name": "amount", "type": "float", "distrbution": "lognormal", "mean": 3.6,
                "stddev": 0.9}),
        "schema.fields[0].distrbution: unknown key; did you mean 'distribution'?",
    ),
    "misspelt mode key": (
        schema({"name": "t", "type": "datetime", "mdoe": "ramp", "direction": "down"}),
        "schema.fields[0].mdoe: unknown key; did you mean 'mode'?",
    ),
    "misspelt required key": (
        schema({"name": "x", "tpye": "int", "min": 3}),
        "schema.fields[0].tpye: unknown key; did you mean 'type'?",
    ),
    "misspelt key in a choice": (
        schema({"name": "c", "type": "category", "choices": [{"vlaue": "a"}]}),
        "schema.fields[0].choices[0].vlaue: unknown key; did you mean 'value'?",
    ),
    "misspelt window end": (
        schema({"name": "x", "type": "uuid"},
               time_window={"start": "2025-01-01", "ned": "2025-01-02"}),
        "time_window.ned: unknown key; did you mean 'end'?",
    ),
    "misspelt output format": (
        schema({"name": "x", "type": "uuid"}, output={"fromat": "parquet", "gzip": True}),
        "output.fromat: unknown key; did you mean 'format'?",
    ),
    "misspelt schema": (
        {"schmea": {"fields": [{"name": "c", "type": "category", "choices": ["a"]}]},
         "analysis": {"dimensions": ["c"]}},
        "schmea: unknown key; did you mean 'schema'?",
    ),
    "unknown type read by later fields and the analysis": (
        schema({"name": "c", "type": "categroy", "choices": ["a"]},
               {"name": "k", "type": "derived_concat", "parts": ["c"]},
               {"name": "p", "type": "category", "conditional_on": "c",
                "conditional_table": {"a": ["x"]}},
               analysis={"dimensions": ["c"], "numeric_fields": ["c"]}),
        "schema.fields[0].type: unknown type 'categroy' (did you mean 'category'?); accepted: "
        "uuid, id_sequence, int, float, bool, category, string, datetime, geo, "
        "derived_concat, derived_map, faker, ref, lookup, derived_compare",
    ),
    "unknown distribution with its parameters": (
        schema({"name": "f", "type": "float", "distribution": "poisson", "lambda": 2}),
        "schema.fields[0].distribution: unknown value 'poisson'; accepted: uniform, normal, "
        "lognormal, exponential, empirical",
    ),
    "bad field named in the analysis": (
        schema({"name": "c", "type": "category", "choices": []},
               analysis={"numeric_fields": ["c"], "dimensions": ["c"]}),
        "schema.fields[0].choices: is empty; give at least one value to pick",
    ),
    "mixed choices read by a conditional table": (
        schema({"name": "pay", "type": "category", "choices": ["card", True]},
               {"name": "p", "type": "category", "conditional_on": "pay",
                "conditional_table": {"card": ["x"]}}),
        "schema.fields[0].choices: mixes text ('card') and booleans (true); a column holds "
        'one type: give all text, all numbers or all booleans (a value in quotes, such as '
        '"true", is text)',
    ),
    "empty fields named in the analysis": (
        {"schema": {"fields": []}, "analysis": {"dimensions": ["c"]}},
        "schema.fields: must not be empty",
    ),
}


@pytest.mark.parametrize("case", list(ONE_LINE_CASES), ids=list(ONE_LINE_CASES))
def test_one_mistake_gives_one_line_and_no_follow_on(case):
    data, expected = ONE_LINE_CASES[case]
    assert problems_of(data) == [expected]


def test_misspellings_are_named_among_other_top_level_problems():
    found = problems_of(schema({"name": "x", "type": "uuid"}, sed=4, extra=1))
    assert found == ["sed: unknown key; did you mean 'seed'?",
                     "extra: unknown key; accepted here: analysis, entities, entity_count, "
                     "faults, output, schema, seed, time_window, timeline"]


def test_a_field_reading_itself_is_named():
    found = problems_of(schema({"name": "k", "type": "derived_concat", "parts": ["k"]}))
    assert found == ["schema.fields[0]: reads itself ('k'); it may only read fields declared "
                     "before it"]


def test_analysis_roles_accept_fields_whose_values_fit():
    ds = parse_schema(schema(
        {"name": "ms", "type": "datetime", "format": "epoch_ms"},
        {"name": "size", "type": "category", "choices": [1, 2.5]},
        {"name": "price", "type": "derived_map", "from_field": "size",
         "map": {"1": 2.0, "2.5": 4.5}},
        {"name": "yes", "type": "category", "choices": [True, False]},
        {"name": "ok", "type": "bool"},
        {"name": "n", "type": "faker", "provider": "pyint"},
        analysis={"timestamp_field": "ms", "numeric_fields": ["size", "price", "n"],
                  "boolean_fields": ["yes", "ok"], "dimensions": ["size", "price", "ok"]}))
    a = ds.analysis
    assert a.timestamp_field == "ms" and a.numeric_fields == ("size", "price", "n")
    assert a.boolean_fields == ("yes", "ok") and a.dimensions == ("size", "price", "ok")


def test_every_role_problem_is_reported_with_the_fields_that_fit():
    found = problems_of(schema(
        {"name": "t", "type": "datetime"}, {"name": "amount", "type": "float"},
        {"name": "city", "type": "category", "choices": ["a"]}, {"name": "ok", "type": "bool"},
        analysis={"timestamp_field": "city", "dimensions": ["city", "t"],
                  "numeric_fields": ["amount", "ok"], "boolean_fields": ["ok", "amount"]}))
    assert [p.split(":")[0] for p in found] == [
        "analysis.timestamp_field", "analysis.dimensions[1]", "analysis.numeric_fields[1]",
        "analysis.boolean_fields[1]"]
    assert "'ok' is a bool field; accepted: an int, float or id_sequence field" in found[2]


def window(**time_window):
    return parse_schema(schema({"name": "x", "type": "uuid"}, time_window=time_window)).time_window


def test_a_date_alone_is_its_first_second_as_start_and_its_last_as_end():
    w = window(start="2025-02-03", end="2025-02-09")
    assert (w.start, w.end) == (datetime(2025, 2, 3), datetime(2025, 2, 9, 23, 59, 59))
    one_day = window(start="2025-02-09", end="2025-02-09")
    assert (one_day.start, one_day.end) == (datetime(2025, 2, 9), datetime(2025, 2, 9, 23, 59, 59))
    exact = window(start="2025-02-03T06:00:00", end="2025-02-09T00:00:00")
    assert exact.end == datetime(2025, 2, 9)


def test_zone_offsets_are_converted_to_utc():
    w = window(start="2025-02-03T00:00:00+01:00", end="2025-02-09T12:00:00Z")
    assert (w.start, w.end) == (datetime(2025, 2, 2, 23), datetime(2025, 2, 9, 12))
    assert window(start="2025-02-03T00:00:00", end="2025-02-04T00:00:00-05:30").end == \
        datetime(2025, 2, 4, 5, 30)


def test_shipped_schemas_keep_their_exact_windows():
    for path, start, end in (("card_transactions.json", datetime(2025, 1, 1),
                              datetime(2025, 1, 7, 23, 59, 59)),
                             ("retail_orders.json", datetime(2025, 3, 3),
                              datetime(2025, 3, 9, 23, 59, 59))):
        w = load_schema(SCHEMAS / path).time_window
        assert (w.start, w.end) == (start, end)


def test_a_bool_conditions_a_category_without_default():
    ds = parse_schema(schema(
        {"name": "online", "type": "bool"},
        {"name": "channel", "type": "category", "conditional_on": "online",
         "conditional_table": {"true": ["web", "app"], "false": ["shop"]}}))
    assert ds.field("channel").conditional_on == "online"


def night_only(name: str = "t") -> dict:
    """Seasonality that only draws times between 03:00 and 04:00."""
    return {"name": name, "type": "datetime", "mode": "seasonality",
            "profile": {"hour_of_day": {"_default": 0, "3": 1}}}


@pytest.mark.parametrize(("start", "end", "silent"), [
    ("2025-01-07T10:00:00", "2025-01-07T12:00:00", True),   # an afternoon: no 3 o'clock
    ("2025-01-07T04:00:00", "2025-01-08T02:59:59", True),   # just misses both 3 o'clocks
    ("2025-01-07T03:59:59", "2025-01-07T12:00:00", False),  # the last second of 03:xx
    ("2025-01-07T10:00:00", "2025-01-08T03:00:00", False),  # the first second of 03:xx
    ("2025-01-01", "2025-03-01", False),
])
def test_a_profile_silent_over_the_whole_window_is_refused_when_loaded(start, end, silent):
    data = schema(night_only(), {"name": "id", "type": "uuid"},
                  time_window={"start": start, "end": end})
    if not silent:
        parse_schema(data)
        return
    assert problems_of(data) == [
        f"schema.fields[0].profile: every hour inside time_window ({start} to {end}) has "
        "weight 0"]


def test_a_weekday_profile_is_judged_with_the_hours_and_in_entities_too():
    weekend = {"name": "w", "type": "datetime", "mode": "seasonality",
               "profile": {"day_of_week": {"_default": 0, "5": 1, "6": 1}}}
    data = schema({"name": "card", "type": "ref", "entity": "cards"}, weekend,
                  night_only("n"), time_window={"start": "2025-01-06", "end": "2025-01-10"},
                  entities={"cards": {"count": 5, "key": "card_id", "fields": [
                      {"name": "card_id", "type": "id_sequence"}, {**weekend, "name": "opened"}]}})
    assert problems_of(data) == [
        "schema.fields[1].profile: every hour inside time_window (2025-01-06T00:00:00 to "
        "2025-01-10T23:59:59) has weight 0",
        "entities.cards.fields[1].profile: every hour inside time_window "
        "(2025-01-06T00:00:00 to 2025-01-10T23:59:59) has weight 0"]


def test_a_deeply_nested_file_is_one_located_problem_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.json"
    head = '{"seed": 1,\n "schema": {"fields": [{"name": "a", "type": "int", "min": '
    path.write_text(head + "[" * 100_000 + "]" * 100_000 + "}]}}")
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    # the 257th level: the 3 objects and the list of the head, then 253 more brackets
    column = len(head.splitlines()[1]) + 253
    assert [str(p) for p in caught.value.problems] == [
        f"is nested more than 256 levels deep at line 2, column {column}"]


def test_nesting_up_to_the_limit_and_brackets_inside_strings_are_fine(tmp_path):
    path = tmp_path / "deep.json"
    value = "[" * 252 + "]" * 252  # 4 levels around it: 256 in all
    path.write_text('{"seed": 1, "doc": "' + "[" * 1000 + '", "schema": {"fields": [{"name": '
                    '"a", "type": "int", "description": ' + value + "}]}}")
    with pytest.raises(SchemaError) as caught:  # refused for its type, not its depth
        load_schema(path)
    assert "nested" not in str(caught.value)
    path.write_text(path.read_text().replace("[" * 252, "[" * 253).replace("]" * 252,
                                                                         "]" * 253))
    with pytest.raises(SchemaError, match="nested more than 256 levels deep"):
        load_schema(path)


def test_a_key_given_twice_is_named_with_its_place(tmp_path):
    path = tmp_path / "twice.json"
    path.write_text('{"seed": 1, "schema": {"fields": [{"name": "a", "type": "int"}, '
                    '{"name": "b", "type": "int", "min": 1, "min": 5}]}, "seed": 2}')
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    assert [str(p) for p in caught.value.problems] == [
        "schema.fields[1]: key 'min' is given twice (remove one)",
        "key 'seed' is given twice (remove one)"]

"""`correlations` blocks and per-level numbers (`conditional_on` on int and float): what is
accepted, and a located error for every misuse."""

from __future__ import annotations

import pytest

from services.schema import Correlation, FloatField, IntField, parse_schema
from services.schema.correlations import eigenvalues
from tests.schema.documents import problems_of

FIELDS = [
    {"name": "cut", "type": "category", "choices": ["Ideal", "Premium", "Good"]},
    {"name": "carat", "type": "float", "distribution": "lognormal", "mean": -0.5,
     "stddev": 0.5},
    {"name": "price", "type": "int", "min": 300, "max": 19000},
    {"name": "x", "type": "float", "distribution": "empirical", "quantiles": [3, 5, 6, 10]},
    {"name": "sold_at", "type": "datetime"},
    {"name": "peak", "type": "datetime", "mode": "ramp"},
    {"name": "code", "type": "string"},
    {"name": "flag", "type": "category", "choices": [True, False]},
    {"name": "year", "type": "category", "choices": [2007, 1952, {"value": 1990, "weight": 2}]},
]
GOOD = [[1, 0.9, 0.8], [0.9, 1, 0.85], [0.8, 0.85, 1]]


def doc(*blocks, fields=FIELDS):
    return {"schema": {"fields": fields, "correlations": list(blocks)}}


def block(names, matrix):
    return {"fields": names, "rank_correlation": matrix}


def test_a_block_is_read_with_its_matrix_and_stream():
    ds = parse_schema(doc(block(["carat", "price", "x"], GOOD),
                          block(["sold_at", "cut_free"], [[1, 0], [0, 1]]),
                          fields=[*FIELDS, {"name": "cut_free", "type": "int"}]))
    first = ds.correlations[0]
    assert first == Correlation(("carat", "price", "x"),
                                tuple(tuple(float(v) for v in row) for row in GOOD))
    assert first.stream == "correlations:carat|price|x"
    assert abs(first.gaussian[0][1] - 0.9080) < 1e-3  # 2 sin(pi * 0.9 / 6)
    assert ds.correlations[1].fields == ("sold_at", "cut_free")


def test_a_category_of_numbers_is_a_member():
    ds = parse_schema(doc(block(["year", "carat"], [[1, 0.4], [0.4, 1]])))
    assert ds.correlations[0].fields == ("year", "carat")


def test_entities_take_blocks_too():
    data = {"entities": {"cards": {"count": 10, "fields": [
        {"name": "card_id", "type": "id_sequence"},
        {"name": "limit", "type": "int", "min": 1, "max": 9},
        {"name": "age", "type": "float"}],
        "correlations": [block(["limit", "age"], [[1, 0.5], [0.5, 1]])]}},
        "schema": {"fields": [{"name": "card", "type": "ref", "entity": "cards"}]}}
    ds = parse_schema(data)
    assert ds.entities[0].correlations[0].fields == ("limit", "age")
    assert ds.entity_dataset(ds.entities[0]).correlations == ds.entities[0].correlations
    data["entities"]["cards"]["correlations"][0]["fields"][1] = "agee"
    assert problems_of(data) == [
        "entities.cards.correlations[0].fields[1]: names no field: 'agee'; fields: age, "
        "card_id, limit"]


@pytest.mark.parametrize("bad,message", [
    (block(["carat", "price"], [[1, 0.5], [0.5, 1]]) | {"weight": 1},
     "schema.correlations[0].weight: unknown key; accepted here: fields, per_level, "
     "rank_correlation, within"),
    (block(["carat"], [[1]]), "schema.correlations[0].fields: needs at least 2 field names, "
                              "got 1"),
    (block(["carat", "prise"], [[1, 0], [0, 1]]),
     "schema.correlations[0].fields[1]: names no field: 'prise'; fields: carat, code, cut, "
     "flag, peak, price, sold_at, x, year"),
    (block(["carat", "carat"], [[1, 0], [0, 1]]),
     "schema.correlations[0].fields[1]: 'carat' is listed twice in this block"),
    (block(["carat", "cut"], [[1, 0], [0, 1]]),
     "schema.correlations[0].fields[1]: 'cut' is a category field of text; accepted: int, "
     "float, a category of numbers, datetime with mode 'uniform', or a lookup of numbers"),
    (block(["carat", "code"], [[1, 0], [0, 1]]),
     "schema.correlations[0].fields[1]: 'code' is a string field; accepted: int, float, a "
     "category of numbers, datetime with mode 'uniform', or a lookup of numbers"),
    (block(["peak", "price"], [[1, 0], [0, 1]]),
     "schema.correlations[0].fields[0]: 'peak' is a datetime field with mode 'ramp'; accepted: "
     "int, float, a category of numbers, datetime with mode 'uniform', or a lookup of numbers"),
    (block(["carat", "flag"], [[1, 0], [0, 1]]),
     "schema.correlations[0].fields[1]: 'flag' is a category field of booleans; accepted: "
     "int, float, a category of numbers, datetime with mode 'uniform', or a lookup of numbers"),
    (block(["carat", 3], [[1, 0], [0, 1]]),
     "schema.correlations[0].fields[1]: must be a field name, got 3"),
    (block(["carat", "price"], [[1, 0]]),
     "schema.correlations[0].rank_correlation: must be a 2 x 2 matrix (one row per field, in "
     "the order of fields), got 1 rows"),
    (block(["carat", "price"], [[1, 0], [0]]),
     "schema.correlations[0].rank_correlation[1]: must be a row of 2 numbers, got 1 numbers"),
    (block(["carat", "price"], [[1, 0], [0, "1"]]),
     "schema.correlations[0].rank_correlation[1][1]: must be a number in [-1, 1], got '1'"),
    (block(["carat", "price"], [[1, 1.5], [1.5, 1]]),
     "schema.correlations[0].rank_correlation[0][1]: must be a number in [-1, 1], got 1.5"),
    (block(["carat", "price"], [[0.9, 0], [0, 1]]),
     "schema.correlations[0].rank_correlation[0][0]: must be 1 (a field's correlation with "
     "itself), got 0.9"),
    (block(["carat", "price"], [[1, 0.5], [0.4, 1]]),
     "schema.correlations[0].rank_correlation[1][0]: 0.4 differs from "
     "rank_correlation[0][1] (0.5); the matrix must be symmetric"),
    (block(["carat", "price"], "no"), "schema.correlations[0].rank_correlation: must be a list, "
                                      "got 'no'"),
    ("no", "schema.correlations[0]: must be an object, got 'no'"),
])
def test_each_misuse_is_located(bad, message):
    assert problems_of(doc(bad)) == [message]


def test_a_matrix_no_numbers_can_have_is_not_a_correlation_matrix():
    # a and b move together, b and c together, but a and c against each other: impossible
    bad = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
    [problem] = problems_of(doc(block(["carat", "price", "x"], bad)))
    assert problem.startswith("schema.correlations[0].rank_correlation: is not a valid "
                              "correlation matrix")
    assert "negative eigenvalue, -0.8" in problem


def test_a_singular_matrix_is_a_correlation_matrix():
    """x a function of carat (rho 1): positive semi-definite, accepted."""
    ds = parse_schema(doc(block(["carat", "x"], [[1, 1], [1, 1]])))
    assert ds.correlations[0].rank_correlation == ((1.0, 1.0), (1.0, 1.0))


def test_a_field_in_two_blocks_is_named_where_it_comes_again():
    problems = problems_of(doc(block(["carat", "price"], [[1, 0], [0, 1]]),
                               block(["x", "price"], [[1, 0], [0, 1]])))
    assert problems == ["schema.correlations[1].fields[1]: 'price' is already in "
                        "correlations[0]; a field may be in one block only"]


def test_eigenvalues_match_a_known_spectrum():
    values = sorted(eigenvalues(((2.0, 1.0, 0.0), (1.0, 2.0, 1.0), (0.0, 1.0, 2.0))))
    expected = [2 - 2**0.5, 2.0, 2 + 2**0.5]
    assert all(abs(a - b) < 1e-12 for a, b in zip(values, expected, strict=True))


# --- per-level numbers ---

TABLE = {"Ideal": {"distribution": "empirical", "quantiles": [326, 880, 18806]},
         "Premium": {"distribution": "lognormal", "mean": 8.0, "stddev": 0.9},
         "_default": {"min": 1, "max": 5}}


def number(type_name="float", table=None, **extra):
    return {"name": "price", "type": type_name, "conditional_on": "cut",
            "conditional_table": TABLE if table is None else table, **extra}


def test_a_float_takes_a_distribution_per_level():
    table = {k: v for k, v in TABLE.items() if k != "_default"} | {
        "Good": {"distribution": "normal", "mean": 5, "stddev": 1}}
    ds = parse_schema({"schema": {"fields": [FIELDS[0], number(table=table, decimals=2)]}})
    price = ds.field("price")
    assert isinstance(price, FloatField) and price.reads == ("cut",) and price.decimals == 2
    levels = dict(price.conditional_table)
    assert levels["Ideal"].quantiles == (326.0, 880.0, 18806.0)
    assert levels["Premium"].distribution == "lognormal" and levels["Premium"].param("mean") == 8
    assert levels["Good"].param("stddev") == 1


def test_an_int_takes_min_max_or_quantiles_per_level():
    table = {"Ideal": {"distribution": "empirical", "quantiles": [1, 2]},
             "_default": {"min": 1, "max": 5, "skew": 2}}
    ds = parse_schema({"schema": {"fields": [FIELDS[0], number("int", table)]}})
    price = ds.field("price")
    assert isinstance(price, IntField)
    assert dict(price.conditional_table)["_default"] == IntField("price", 0.0, 1, 5, 2.0)


@pytest.mark.parametrize("field,message", [
    (number(table={"Ideal": TABLE["Ideal"]}),
     "schema.fields[1].conditional_table: no entry for 'Premium', 'Good' and no '_default'; "
     "add them or a '_default'"),
    (number(table=TABLE | {"Ideal": {"distribution": "empirical", "quantiles": [3, 2]}}),
     "schema.fields[1].conditional_table.Ideal.quantiles[1]: 2 is less than the quantile "
     "before it (3); quantiles must never decrease"),
    (number(table=TABLE | {"Premium": {"distribution": "lognormal", "stddev": -1}}),
     "schema.fields[1].conditional_table.Premium.stddev: must be >= 0, got -1"),
    (number(table=TABLE | {"Premium": {"distribution": "gamma"}}),
     "schema.fields[1].conditional_table.Premium.distribution: unknown value 'gamma'; "
     "accepted: uniform, normal, lognormal, exponential, empirical"),
    (number(table=TABLE | {"Premium": {"decimals": 2}}),
     "schema.fields[1].conditional_table.Premium.decimals: unknown key; accepted here: "
     "distribution, max, min"),
    (number(table=TABLE | {"Premium": 3}),
     "schema.fields[1].conditional_table.Premium: must be an object, got 3"),
    (number(table={}), "schema.fields[1].conditional_table: must not be empty"),
    (number("int", {"_default": {"min": 5, "max": 1}}),
     "schema.fields[1].conditional_table._default.min: min (5) must be <= max (1)"),
    (number("int", {"Premium": {"mean": 1}, "_default": {}}),
     "schema.fields[1].conditional_table.Premium.mean: unknown key; accepted here: "
     "distribution, max, min, skew"),
    (number(min=1), "schema.fields[1]: give either min or conditional_on + conditional_table, "
                    "not both (each entry of the table holds its own distribution)"),
    ({"name": "price", "type": "float", "conditional_on": "cut"},
     "schema.fields[1].conditional_table: is required with conditional_on (an object: the "
     "distribution for each value of the field it names, and '_default')"),
    ({"name": "price", "type": "float", "conditional_table": TABLE},
     "schema.fields[1].conditional_on: is required (a string)"),
    (number() | {"conditional_on": "later"},
     "schema.fields[1]: reads unknown field 'later'; known so far: cut"),
])
def test_each_per_level_misuse_is_located(field, message):
    assert problems_of({"schema": {"fields": [FIELDS[0], field]}}) == [message]


def test_a_level_field_that_can_be_empty_needs_a_default():
    cut = FIELDS[0] | {"null_prob": 0.1}
    table = {k: v for k, v in TABLE.items() if k != "_default"} | {"Good": {"min": 1}}
    assert problems_of({"schema": {"fields": [cut, number("float", table)]}}) == [
        "schema.fields[1].conditional_table: 'cut' can be empty (null_prob > 0), which needs "
        "a '_default' entry"]


def test_a_per_level_number_may_be_in_a_block():
    fields = [FIELDS[0], number(), FIELDS[1]]
    ds = parse_schema(doc(block(["price", "carat"], [[1, 0.7], [0.7, 1]]), fields=fields))
    assert ds.correlations[0].fields == ("price", "carat")


# --- nested tables: a number per level of one field, then of another within a level ---

ORIGIN = {"name": "origin", "type": "category", "choices": ["USA", "Japan"]}
NESTED = {"Ideal": {"conditional_on": "origin", "conditional_table": {
    "Japan": {"min": 1, "max": 2}, "_default": {"min": 3, "max": 4}}},
    "_default": {"min": 5, "max": 6}}


def test_an_entry_may_be_per_level_of_another_field():
    ds = parse_schema({"schema": {"fields": [FIELDS[0], ORIGIN, number("int", NESTED)]}})
    price = ds.field("price")
    assert price.reads == ("cut", "origin")
    ideal = dict(price.conditional_table)["Ideal"]
    assert ideal.conditional_on == "origin"
    assert dict(ideal.conditional_table)["Japan"] == IntField("price", 0.0, 1, 2)


def nested(inner: dict) -> dict:
    return number("int", {"Ideal": inner, "_default": {"min": 5, "max": 6}})


@pytest.mark.parametrize("field,message", [
    (nested({"conditional_on": "origin", "conditional_table": {"Japan": {"min": 1}}}),
     "schema.fields[2].conditional_table.Ideal.conditional_table: no entry for 'USA' and no "
     "'_default'; add them or a '_default'"),
    (nested({"conditional_on": "origin", "conditional_table": {
        "Japan": {"min": 1}, "_default": {"min": 9, "max": 1}}}),
     "schema.fields[2].conditional_table.Ideal.conditional_table._default.min: min (9) must be "
     "<= max (1)"),
    (nested({"conditional_on": "cut", "conditional_table": {"_default": {}}}),
     "schema.fields[2].conditional_table.Ideal.conditional_on: 'cut' is already the level of "
     "an enclosing table; a nested table reads another field"),
    (nested({"conditional_on": "origin", "min": 1, "conditional_table": {"_default": {}}}),
     "schema.fields[2].conditional_table.Ideal: give either min or conditional_on + "
     "conditional_table, not both (each entry of the table holds its own distribution)"),
    (nested({"conditional_on": "origin"}),
     "schema.fields[2].conditional_table.Ideal.conditional_table: is required with "
     "conditional_on (an object: the distribution for each value of the field it names, and "
     "'_default')"),
    (nested({"conditional_on": "later", "conditional_table": {"_default": {}}}),
     "schema.fields[2]: reads unknown field 'later'; known so far: cut, origin"),
])
def test_each_nested_misuse_is_located(field, message):
    assert problems_of({"schema": {"fields": [FIELDS[0], ORIGIN, field]}}) == [message]

"""A lookup of numbers (an entity's attribute) in a `correlations` block, `within` and
`per_level`: what is accepted, and a located error for every misuse."""

from __future__ import annotations

import math

import pytest

from services.schema import parse_schema
from tests.schema.documents import problems_of

ENTITIES = {"countries": {"count": 6, "fields": [
    {"name": "country_id", "type": "id_sequence"},
    {"name": "continent", "type": "category", "choices": ["Europe", "Asia"]},
    {"name": "lat", "type": "float", "distribution": "uniform", "min": -40, "max": 60},
    {"name": "lon", "type": "int", "min": -100, "max": 100},
    {"name": "name", "type": "string"}]}}
FIELDS = [
    {"name": "country", "type": "ref", "entity": "countries"},
    {"name": "continent", "type": "lookup", "ref": "country", "attribute": "continent"},
    {"name": "lat", "type": "lookup", "ref": "country", "attribute": "lat"},
    {"name": "lon", "type": "lookup", "ref": "country", "attribute": "lon"},
    {"name": "name", "type": "lookup", "ref": "country", "attribute": "name"},
    {"name": "gdp", "type": "float", "distribution": "lognormal", "mean": 8, "stddev": 1},
    {"name": "life", "type": "float", "distribution": "normal", "mean": 60, "stddev": 9},
    {"name": "city", "type": "category", "choices": ["a", "b"]},
    {"name": "late", "type": "lookup", "ref": "country", "attribute": "lat"},
]
PAIR = [[1, 0.4], [0.4, 1]]


def doc(*blocks):
    return {"entities": ENTITIES, "schema": {"fields": FIELDS, "correlations": list(blocks)}}


def block(names, matrix=PAIR, **extra):
    return {"fields": names, "rank_correlation": matrix, **extra}


def test_a_lookup_of_numbers_is_read_with_within_and_per_level():
    three = [[1, 0.3, 0.2], [0.3, 1, 0.5], [0.2, 0.5, 1]]
    europe = [[1, 0.6, 0.0], [0.6, 1, 0.5], [0.0, 0.5, 1]]
    ds = parse_schema(doc(block(["lat", "gdp", "life"], three, within="continent",
                                per_level={"Europe": europe})))
    (got,) = ds.correlations
    assert (got.lookup, got.within) == ("lat", "continent")
    assert got.per_level == (("Europe", tuple(tuple(float(v) for v in r) for r in europe)),)
    assert got.gaussian_at(1)[0][1] == pytest.approx(2 * math.sin(math.pi * 0.6 / 6))
    assert got.gaussian_at(0) == got.gaussian
    plain = parse_schema(doc(block(["lon", "gdp"]))).correlations[0]
    assert (plain.lookup, plain.within, plain.per_level) == ("lon", None, ())
    assert parse_schema(doc(block(["gdp", "life"]))).correlations[0].lookup is None


@pytest.mark.parametrize("bad,message", [
    (block(["lat", "lon"]),
     "schema.correlations[0].fields[1]: 'lon' is a second lookup in this block (after 'lat'); "
     "a block holds one lookup at most"),
    (block(["gdp", "late"]),
     "schema.correlations[0].fields[1]: lookup 'late' is declared after 'gdp', another field "
     "of this block; a block's lookup comes before its other fields (they are drawn given "
     "it)"),
    (block(["name", "gdp"]),
     "schema.correlations[0].fields[0]: 'name' is a lookup of text or times; accepted: int, "
     "float, a category of numbers, datetime with mode 'uniform', or a lookup of numbers"),
    (block(["continent", "gdp"]),
     "schema.correlations[0].fields[0]: 'continent' is a lookup of text or times; accepted: "
     "int, float, a category of numbers, datetime with mode 'uniform', or a lookup of "
     "numbers"),
    (block(["gdp", "life"], within="continent"),
     "schema.correlations[0].within: applies to a block with a lookup among its fields (the "
     "lookup is ranked within each level); this block has none"),
    (block(["lat", "gdp"], within="city"),
     "schema.correlations[0].within: 'city' is not a lookup through 'country'; accepted: "
     "another lookup through 'country', the ref of 'lat' (continent, lon, name, late)"),
    (block(["lat", "gdp"], within="contnent"),
     "schema.correlations[0].within: names no field: 'contnent'; accepted: another lookup "
     "through 'country', the ref of 'lat' (continent, lon, name, late)"),
    (block(["lat", "gdp"], within="lat"),
     "schema.correlations[0].within: 'lat' is a field of this block; accepted: another "
     "lookup through 'country', the ref of 'lat' (continent, lon, name, late)"),
    (block(["lat", "gdp"], per_level={"Europe": PAIR}),
     "schema.correlations[0].per_level: needs within (the lookup whose levels these are)"),
    (block(["lat", "gdp"], within="continent", per_level={"Europa": PAIR}),
     "schema.correlations[0].per_level.Europa: unknown level 'Europa' (did you mean "
     "'Europe'?); accepted: Europe, Asia (the levels of 'continent')"),
    (block(["lat", "gdp"], within="continent", per_level={"Asia": [[1, 0.5], [0.4, 1]]}),
     "schema.correlations[0].per_level.Asia[1][0]: 0.4 differs from Asia[0][1] (0.5); the "
     "matrix must be symmetric"),
    (block(["lat", "gdp"], within="continent", per_level={"Asia": [[1, 0.5]]}),
     "schema.correlations[0].per_level.Asia: must be a 2 x 2 matrix (one row per field, in "
     "the order of fields), got 1 rows"),
])
def test_each_misuse_is_located(bad, message):
    assert problems_of(doc(bad)) == [message]

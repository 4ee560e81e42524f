"""The `empirical` distribution of int and float fields: its quantile table is checked,
every misuse refused with its place and what is accepted."""

from __future__ import annotations

import pytest

from services.schema import SchemaError, parse_schema


def problems_of(field: dict) -> list[str]:
    with pytest.raises(SchemaError) as caught:
        parse_schema({"schema": {"fields": [field]}}, source="test.json")
    return [str(p) for p in caught.value.problems]


def test_a_table_is_read_for_int_and_float():
    data = {"schema": {"fields": [
        {"name": "f", "type": "float", "distribution": "empirical", "quantiles": [0, 0, 2.5],
         "decimals": 1},
        {"name": "i", "type": "int", "distribution": "empirical", "quantiles": [1, 9]}]}}
    f, i = parse_schema(data).fields
    assert (f.distribution, f.quantiles, f.decimals) == ("empirical", (0.0, 0.0, 2.5), 1)
    assert (i.distribution, i.quantiles) == ("empirical", (1.0, 9.0))


@pytest.mark.parametrize(("field", "message"), [
    ({"type": "float", "distribution": "empirical", "quantiles": [3, 1, 4]},
     "schema.fields[0].quantiles[1]: 1 is less than the quantile before it (3); quantiles "
     "must never decrease"),
    ({"type": "int", "distribution": "empirical", "quantiles": [5]},
     "schema.fields[0].quantiles: needs 2 to 10001 numbers"),
    ({"type": "float", "distribution": "empirical"},
     "schema.fields[0].quantiles: is required (a list)"),
    ({"type": "float", "distribution": "empirical", "quantiles": "1,2"},
     "schema.fields[0].quantiles: must be a list, got '1,2'"),
    ({"type": "int", "distribution": "empirical", "quantiles": [1, None]},
     "schema.fields[0].quantiles[1]: must be a number, got null"),
    ({"type": "int", "distribution": "empirical", "quantiles": [1, 2], "max": 3},
     "schema.fields[0].max: unknown key; accepted here: distribution, name, null_prob, "
     "quantiles, type"),
    ({"type": "float", "quantiles": [1, 2]},
     "schema.fields[0].quantiles: unknown key; accepted here:"),
    ({"type": "int", "distribution": "empricial", "quantiles": [1, 2]},
     "schema.fields[0].distribution: unknown value 'empricial' (did you mean 'empirical'?); "
     "accepted: uniform, empirical"),
])
def test_misuse_is_refused_in_one_located_line(field, message):
    problems = problems_of({"name": "x", **field})
    assert len(problems) == 1 and problems[0].startswith(message), problems

"""analysis.measures: defaults that keep older files meaning what they meant, declared
measures over expressions, and one located message per mistake."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from services.schema import Measure, SchemaError, load_schema, parse_schema
from tests.schemas import CARD, RETAIL


def retail_with(measures) -> dict:
    raw = json.loads(RETAIL.read_text())
    raw["analysis"]["measures"] = measures
    return raw


def problems(raw: dict) -> list[str]:
    with pytest.raises(SchemaError) as caught:
        parse_schema(raw, source="x.json")
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_without_measures_every_numeric_field_is_summed_and_money_is_not_a_count():
    raw = json.loads(RETAIL.read_text())
    del raw["analysis"]["measures"]
    measures = parse_schema(raw).analysis.measures
    assert measures == (Measure("quantity", "quantity", "sum", money=False),
                        Measure("unit_price", "unit_price", "sum", money=True))
    card = load_schema(CARD).analysis
    assert card.measures == (Measure("amount", "amount", "sum", money=True),)
    assert card.headline == card.measures[0]


def test_the_retail_schema_declares_its_revenue():
    revenue, units, price = load_schema(RETAIL).analysis.measures
    assert (revenue.name, revenue.inputs, revenue.money) == (
        "revenue", ("quantity", "unit_price"), True)
    assert (units.expr, units.money, price.agg) == ("quantity", False, "mean")
    frame = pd.DataFrame({"quantity": [2, 3], "unit_price": [2.5, 4.0]})
    values = revenue.evaluate(frame.__getitem__, lambda a, b: a / b)
    assert values.tolist() == [5.0, 12.0]


def test_expressions_take_numbers_parentheses_and_division():
    measure = Measure("m", "-(quantity - 1) * 2 / unit_price")
    assert measure.inputs == ("quantity", "unit_price")
    assert measure.evaluate({"quantity": 4, "unit_price": 3}.__getitem__,
                            lambda a, b: a / b) == -2.0
    assert measure.renamed(str.upper).expr == "-(QUANTITY - 1) * 2 / UNIT_PRICE"


@pytest.mark.parametrize(("measures", "expected"), [
    ([{"name": "revenue", "expr": "quantity * unit_prise"}],
     ["analysis.measures[0].expr: names no numeric field: 'unit_prise' (did you mean "
      "'unit_price'?); numeric fields (analysis.numeric_fields): quantity, unit_price"]),
    ([{"name": "revenue", "expr": "quantity ** 2"}],
     ["analysis.measures[0].expr: 'quantity ** 2' is not allowed: use field names, numbers, "
      "+ - * / and parentheses"]),
    ([{"name": "revenue", "expr": "__import__('os')"}],
     ["analysis.measures[0].expr: \"__import__('os')\" is not allowed: use field names, "
      "numbers, + - * / and parentheses"]),
    ([{"name": "revenue", "expr": "quantity *"}],
     ["analysis.measures[0].expr: is not an arithmetic expression: 'quantity *'"]),
    ([{"name": "revenue", "field": "store"}],
     ["analysis.measures[0].field: names no numeric field: 'store'; numeric fields "
      "(analysis.numeric_fields): quantity, unit_price"]),
    ([{"name": "revenue", "field": "quantity", "expr": "quantity"}],
     ["analysis.measures[0]: needs exactly one of `field` (a numeric field) or `expr` (an "
      "expression over numeric fields, such as \"quantity * unit_price\")"]),
    ([{"name": "revenue", "expr": "quantity", "agg": "median"}],
     ["analysis.measures[0].agg: unknown value 'median' (did you mean 'mean'?); accepted: "
      "sum, mean"]),
    ([{"name": "units", "field": "quantity"}, {"name": "units", "field": "unit_price"}],
     ["analysis.measures[1].name: 'units' is already a measure's name"]),
    ([{"name": "quantity", "expr": "unit_price * 2"}],
     ["analysis.measures[0].name: 'quantity' is a field's name; a measure over other fields "
      "needs a name of its own"]),
    ([{"name": "store", "expr": "quantity"}],
     ["analysis.measures[0].name: 'store' is a field's name; a measure over other fields "
      "needs a name of its own"]),
    ([{"name": "line amount", "expr": "quantity"}],
     ["analysis.measures[0].name: must be letters, digits and _ (a column name), got "
      "'line amount'"]),
    ([{"name": "revenue", "expr": "quantity", "mony": True}],
     ["analysis.measures[0].mony: unknown key; did you mean 'money'?"]),
    ([], ["analysis.measures: must not be empty"]),
])
def test_each_mistake_gets_one_located_message(measures, expected):
    assert problems(retail_with(measures)) == expected


@pytest.mark.parametrize("currency,expected", [("USD", (True, True, False)),
                                               (None, (False, False, False))])
def test_an_expression_is_money_by_default_when_any_input_is_not_a_count(currency, expected):
    """Quantity x price is money (the price is); quantity x 2 is a count; with no currency
    nothing is money."""
    raw = json.loads(RETAIL.read_text())
    if currency is None:
        del raw["analysis"]["currency"]
    raw["analysis"]["measures"] = [{"name": "revenue", "expr": "quantity * unit_price"},
                                   {"name": "reversed", "expr": "unit_price * quantity"},
                                   {"name": "pairs", "expr": "quantity * 2"}]
    measures = parse_schema(raw).analysis.measures
    assert tuple(m.money for m in measures) == expected

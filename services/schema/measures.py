"""Measures: what the jobs total or average per group and what the dashboards headline.

A schema declares them in `analysis.measures`: each is a numeric field or an arithmetic
expression over numeric fields (`quantity * unit_price`), summed or averaged, money or not.
Without the key every numeric field is a summed measure, which is what older files meant.
The expression is parsed once here and evaluated by each engine on its own values (Spark
columns, pandas series), so the batch job, the streaming job and the tests agree.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from services.schema.fields import INTEGER
from services.schema.reader import Obj, close_match

AGGREGATIONS = ("sum", "mean")
MEASURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
T = TypeVar("T")


@dataclass(frozen=True)
class Measure:
    """`expr` is a field name or an expression over numeric fields; `label` may be empty
    (the pages then make one from the name)."""

    name: str
    expr: str
    agg: str = "sum"
    money: bool = False
    label: str = ""

    @property
    def inputs(self) -> tuple[str, ...]:
        """The fields the expression reads, in order of first use."""
        return inputs_of(parse_expression(self.expr))

    def renamed(self, rename: Callable[[str], str]) -> Measure:
        """The same measure over renamed fields (the jobs' normalised column names)."""
        tree = parse_expression(self.expr)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                node.id = rename(node.id)
        return replace(self, name=rename(self.name), expr=ast.unparse(tree))

    def evaluate(self, leaf: Callable[[str], T], divide: Callable[[T, T], T]) -> T:
        """The expression over `leaf(field)` values; `divide` decides what x / 0 gives (Spark:
        null, so the row counts as a missing value)."""
        return _evaluate(parse_expression(self.expr).body, leaf, divide)


def parse_expression(text: str) -> ast.Expression:
    """`text` as a tree of + - * /, unary minus, numbers and field names; ValueError says
    what else was found."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"is not an arithmetic expression: {text!r}") from None
    for node in ast.walk(tree.body):
        allowed = ((isinstance(node, ast.BinOp) and type(node.op) in (*_ARITHMETIC, ast.Div))
                   or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub))
                   or isinstance(node, ast.Name)
                   or (isinstance(node, ast.Constant) and type(node.value) in (int, float))
                   or isinstance(node, (ast.operator, ast.unaryop, ast.expr_context)))
        if not allowed:
            raise ValueError(f"{ast.unparse(node)!r} is not allowed: use field names, numbers, "
                             "+ - * / and parentheses")
    return tree


def inputs_of(tree: ast.Expression) -> tuple[str, ...]:
    names = sorted((node.col_offset, node.id) for node in ast.walk(tree)
                   if isinstance(node, ast.Name))  # as written, left to right
    return tuple(dict.fromkeys(name for _, name in names))


def _evaluate(node: ast.expr, leaf: Callable[[str], T], divide: Callable[[T, T], T]) -> T:
    if isinstance(node, ast.Name):
        return leaf(node.id)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        return -_evaluate(node.operand, leaf, divide)
    left, right = (_evaluate(node.left, leaf, divide), _evaluate(node.right, leaf, divide))
    if isinstance(node.op, ast.Div):
        return divide(left, right)
    return _ARITHMETIC[type(node.op)](left, right)


def default_measures(numeric: tuple[str, ...], kinds: Mapping[str, str],
                     currency: str | None) -> tuple[Measure, ...]:
    """Every numeric field summed; money when a currency is named and the field is not a
    count (a quantity is never money)."""
    return tuple(Measure(name, name, "sum", bool(currency) and kinds.get(name) != INTEGER)
                 for name in numeric)


def parse_measures(analysis: Obj, kinds: Mapping[str, str], fields: Collection[str],
                   currency: str | None) -> tuple[Measure, ...]:
    """`analysis.measures`, or the defaults; `kinds` maps each numeric field to its kind,
    `fields` are all the file's field names. Problems go to the file's problem list with
    their place."""
    raw = analysis.list("measures", non_empty=True)
    if raw is None:
        return default_measures(tuple(kinds), kinds, currency)
    measures: list[Measure] = []
    for i, item in enumerate(raw):
        obj = Obj.of(item, analysis.at(f"measures[{i}]"), analysis.problems)
        measure = obj and _measure(obj, kinds, currency)
        if obj is not None:
            obj.finish()
        if measure is None:
            continue
        if measure.name in {m.name for m in measures}:
            obj.error("name", f"{measure.name!r} is already a measure's name")
        elif measure.name in fields and measure.expr != measure.name:
            obj.error("name", f"{measure.name!r} is a field's name; a measure over other fields "
                              "needs a name of its own")
        else:
            measures.append(measure)
    return tuple(measures)


def _measure(obj: Obj, kinds: Mapping[str, str], currency: str | None) -> Measure | None:
    name = obj.str("name", required=True)
    field, expr = obj.str("field"), obj.str("expr")
    agg = obj.str("agg", "sum", choices=AGGREGATIONS)
    label = obj.str("label", "") or ""
    if name is not None and not MEASURE_NAME.match(name):
        obj.error("name", f"must be letters, digits and _ (a column name), got {name!r}")
        name = None
    if (field is None) == (expr is None):
        obj.error(None, "needs exactly one of `field` (a numeric field) or `expr` (an "
                        "expression over numeric fields, such as \"quantity * unit_price\")")
        obj.bool("money", False)
        return None
    key, text = ("field", field) if field is not None else ("expr", expr)
    try:
        names = inputs_of(parse_expression(text)) if key == "expr" else (text,)
    except ValueError as exc:
        obj.error(key, str(exc))
        obj.bool("money", False)
        return None
    unknown = [n for n in names if n not in kinds]
    for n in unknown:
        guess = close_match(n, kinds)
        obj.error(key, f"names no numeric field: {n!r}"
                       + (f" (did you mean {guess!r}?)" if guess else "")
                       + "; numeric fields (analysis.numeric_fields): "
                       + (", ".join(kinds) or "none"))
    money = obj.bool("money", bool(currency) and any(kinds.get(n) != INTEGER for n in names))
    if unknown or name is None or agg is None:
        return None
    return Measure(name, text, agg, money, label)

"""A lifecycle's schema: what it reads into, and one located problem for each misuse."""

from __future__ import annotations

import copy

import pytest

from services.common.paths import SCHEMAS
from services.schema import CategoryField, load_schema, parse_schema
from tests.lifecycles import DOC, doc
from tests.schema.documents import problems_of

AT = "entities.users.lifecycle"


def states(**changes) -> dict:
    out = copy.deepcopy(DOC["entities"]["users"]["lifecycle"]["states"])
    for name, value in changes.items():
        if value is None:
            out.pop(name)
        else:
            out[name] = value
    return out


def test_a_lifecycle_reads_into_the_model_and_adds_its_columns():
    ds = parse_schema(DOC)
    cycle = ds.lifecycle
    assert (cycle.entity, cycle.ref, cycle.time_field) == ("users", "user", "t")
    assert cycle.names == ("a", "b", "c", "d") and cycle.initial == "a"
    assert cycle.unit == 60 and cycle.horizon == 12 * 30 * 60
    a = cycle.states[0]
    assert [(t.to, t.p) for t in a.transitions] == [("b", 0.6), ("c", 0.3)] and a.end == 0.1
    assert cycle.states[1].timeout.after == 2 and cycle.states[2].terminal
    assert ds.names == ("eid", "t", "user", "tier", "state", "amount", "reason")
    assert isinstance(ds.field("state"), CategoryField)
    assert ds.entities[0].lifecycle.ref == ""  # the entity's own: not bound


@pytest.mark.parametrize("name", ["clickstream.json", "retail_order_lifecycle.json"])
def test_the_shipped_lifecycles_load(name):
    assert load_schema(SCHEMAS / name).lifecycle is not None


@pytest.mark.parametrize("change,expected", [
    ({"initial": "z"}, f"{AT}.initial: unknown state 'z'"),
    ({"states": states(c={"terminal": True, "transitions": []})},
     f"{AT}.states.c.transitions: a terminal state has no way out"),
    ({"states": states(c={"terminal": True, "end": 0.5})},
     f"{AT}.states.c.end: a terminal state has no way out"),
    ({"states": states(c={})}, f"{AT}.states.c: has no way out and is not terminal"),
    ({"states": states(a={"transitions": [
        {"to": "b", "p": 0.6, "delay": {"distribution": "uniform"}},
        {"to": "c", "p": 0.3, "delay": {"distribution": "uniform"}}]})},
     f"{AT}.states.a.transitions: probabilities sum to 0.9 (with end 0); they must sum to 1 "
     "(tolerance 1e-06)"),
    ({"states": states(a={"transitions": [
        {"to": "b", "p": 0.5, "delay": {"distribution": "uniform"}},
        {"to": "c", "p": 0.2, "delay": {"distribution": "uniform"}},
        {"to": "b", "p": 0.3, "delay": {"distribution": "uniform"}}]})},
     f"{AT}.states.a.transitions: two transitions to 'b'"),
    ({"states": states(b={"end": 1, "transitions": [
        {"to": "e", "p": 0, "delay": {"distribution": "uniform"}}]})},
     f"{AT}.states.b.transitions[0].to: unknown state 'e'"),
    ({"states": states(b={"end": 1, "timeout": {"after": 1, "to": "e"}})},
     f"{AT}.states.b.timeout.to: unknown state 'e'"),
    ({"states": states(b={"end": 1})}, f"{AT}.states.d: is unreachable from the initial state"),
    ({"fields": {"zz": [{"name": "q", "type": "int"}]}}, f"{AT}.fields.zz: unknown state 'zz'"),
    ({"fields": {"c": []}}, f"{AT}.fields.c: must be a non-empty list of fields"),
    ({"max_delay": None}, f"{AT}.max_delay: is required"),
    ({"max_delay": 0}, f"{AT}.max_delay: must be > 0"),
    ({"delay_unit": "weeks"}, f"{AT}.delay_unit: unknown value 'weeks'"),
    ({"delay_unit": None}, f"{AT}.delay_unit: is required"),
    ({"max_steps": 0}, f"{AT}.max_steps: must be between 1 and 10000"),
    ({"states": states(a={"end": 1, "transitions": [
        {"to": "b", "p": 0, "delay": {"distribution": "gamma"}}]})},
     f"{AT}.states.a.transitions[0].delay.distribution: unknown value 'gamma'"),
    ({"states": states(a={"end": 1, "transitions": [{"to": "b", "p": 0}]})},
     f"{AT}.states.a.transitions[0].delay: is required"),
    ({"state_field": "tier"}, f"{AT}: the column 'tier' (a state field or a per-state field) "
                              "is also a field of schema.fields"),
    ({"state_field": None, "stat_field": "x"},
     f"{AT}.stat_field: unknown key; did you mean 'state_field'?"),
])
def test_each_misuse_is_one_located_problem(change, expected):
    problems = problems_of(doc(**change))
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_the_rows_need_one_ref_to_the_entity_and_one_datetime():
    data = copy.deepcopy(DOC)
    data["schema"]["fields"] = [f for f in data["schema"]["fields"] if f["name"] != "t"]
    data["schema"]["fields"][1:3] = []  # no ref, no lookup
    problems = problems_of(data)
    assert problems == [
        f"{AT}: schema.fields must have exactly one ref to 'users' (the entity each episode "
        "belongs to); found 0",
        f"{AT}: schema.fields must have exactly one datetime field (the episodes' start "
        "times, then each row's time); found 0"]


def test_two_entities_with_lifecycles_are_refused():
    data = copy.deepcopy(DOC)
    data["entities"]["more"] = copy.deepcopy(data["entities"]["users"])
    problems = problems_of(data)
    assert problems[0].startswith("entities: more than one entity declares a lifecycle (users, "
                                  "more)")


def test_the_state_column_and_per_state_fields_can_be_analysed():
    data = copy.deepcopy(DOC)
    data["analysis"] = {"timestamp_field": "t", "dimensions": ["state", "reason"],
                        "numeric_fields": ["amount"]}
    analysis = parse_schema(data).analysis
    assert analysis.dimensions == ("state", "reason")
    assert analysis.numeric_fields == ("amount",)


def test_a_per_state_datetime_cannot_ramp():
    fields = {"c": [{"name": "when", "type": "datetime", "mode": "ramp"}]}
    assert problems_of(doc(fields=fields)) == [
        f"{AT}.fields.c[0].mode: a ramp orders a column's rows; a per-state field's rows are "
        "in time order already: use uniform or seasonality"]


def test_per_state_refs_order_the_entities_and_close_cycles():
    data = copy.deepcopy(DOC)
    data["entities"]["carriers"] = {"count": 3, "fields": [
        {"name": "carrier_id", "type": "id_sequence"}]}
    data["entities"]["users"]["lifecycle"]["fields"]["c"].append(
        {"name": "carrier", "type": "ref", "entity": "carriers"})  # declared after users
    assert parse_schema(data).lifecycle.fields[0][1][-1].entity == "carriers"
    data["entities"]["users"]["lifecycle"]["fields"]["c"][-1]["entity"] = "users"
    assert problems_of(data) == [
        "entities.users.lifecycle.fields.c[1].entity: refers to 'users' in a cycle (users -> "
        "users); an entity may only refer to entities that do not refer back to it"]

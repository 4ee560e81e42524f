"""A lifecycle's `changes`: one located problem for each misuse."""

from __future__ import annotations

import pytest

from services.common.paths import SCHEMAS
from services.schema import load_schema
from tests.cdc import cdc_doc
from tests.schema.documents import problems_of

AT = "entities.users.lifecycle"


def test_the_shipped_retail_lifecycle_is_the_orders_table():
    changes = load_schema(SCHEMAS / "retail_order_lifecycle.json").lifecycle.changes
    assert (changes.key, changes.table, changes.deletes) == ("order_id", "orders",
                                                             ("cancelled",))


@pytest.mark.parametrize("changes,where,message", [
    ({"key": "nope"}, "changes.key", "unknown field of schema.fields 'nope'"),
    ({"key": "tier"}, "changes.key", "'tier' is not unique per episode"),
    ({"key": None}, "changes.key", "required"),
    ({"table": "1x"}, "changes.table", "not a valid table name"),
    ({"deletes": ["zz"]}, "changes.deletes[0]", "unknown state 'zz'"),
    ({"deletes": ["b"]}, "changes.deletes[0]", "deletes the row but has a way out"),
    ({"deletes": ["a"]}, "changes.deletes[0]", "the state 'a' deletes the row but has"),
    ({"deletes": ["c"]}, "fields.c", "a deleted row shows no fields"),
    ({"deletes": ["d", "d"]}, "changes.deletes", "names a state twice"),
    ({"deletes": "d"}, "changes.deletes", "must be a list"),
    ({"colour": 1}, "changes", "colour"),
])
def test_each_misuse_is_one_located_problem(changes, where, message):
    problems = problems_of(cdc_doc(**changes))
    hits = [p for p in problems if p.startswith(f"{AT}.{where}") and message in p]
    assert hits, problems


def test_the_initial_state_cannot_delete_the_row():
    document = cdc_doc(deletes=["a"])
    cycle = document["entities"]["users"]["lifecycle"]
    cycle["states"], cycle["fields"] = {"a": {"terminal": True}}, None
    del cycle["fields"]
    problems = problems_of(document)
    assert problems == [f"{AT}.changes.deletes: the initial state 'a' creates the row; it "
                        "cannot delete it too"]

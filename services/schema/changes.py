"""A lifecycle's `changes`: how its episodes read as the change stream of one table's rows
(the generator's --cdc, services.generator.changes).

Each episode is one row of `table`, identified by the main schema's field `key` (a uuid or
an id_sequence: unique per episode, as a primary key is); entering the initial state creates
the row, each later state updates it, and entering a state of `deletes` deletes it. A delete
state ends the episode (nothing can follow a deleted row) and has no per-state fields (a
deleted row shows none).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.schema.field_list import COLUMN_NAME
from services.schema.fields import IdSequenceField, UuidField
from services.schema.reader import Obj, Problems, unknown_value

KEY_TYPES = (UuidField, IdSequenceField)


@dataclass(frozen=True)
class Changes:
    key: str  # the main schema's field that identifies an episode's row
    table: str  # source.table of every change
    deletes: tuple[str, ...] = ()  # the states whose entry deletes the row


def parse_changes(obj: Obj | None, states) -> Changes | None:
    """`states`: the lifecycle's parsed states (their names, terminal or not, ways out)."""
    if obj is None:
        return None
    mark = len(obj.problems)
    key = obj.str("key", required=True)
    table = obj.str("table", required=True)
    if table is not None and not COLUMN_NAME.match(table):
        obj.error("table", f"{table!r} is not a valid table name; accepted: letters, digits "
                           "and _, not starting with a digit")
    deletes = obj.list("deletes") or []
    obj.finish()
    by_name = {s.name: s for s in states}
    for i, name in enumerate(deletes):
        where = f"{obj.at('deletes')}[{i}]"
        if not isinstance(name, str) or name not in by_name:
            obj.problems.add(where, unknown_value("state", name, by_name))
        elif by_name[name].transitions or by_name[name].timeout:
            obj.problems.add(where, f"the state {name!r} deletes the row but has a way out; "
                                    "a deleted row has no later change: make it terminal")
    if all(isinstance(d, str) for d in deletes) and len(set(deletes)) != len(deletes):
        obj.error("deletes", "names a state twice")
    if len(obj.problems) > mark or None in (key, table):
        return None
    return Changes(key, table, tuple(deletes))


def check_changes(changes: Changes, where: str, initial: str, fields, state_fields,
                  problems: Problems) -> None:
    """What needs the main schema: the key is its uuid or id_sequence field; the initial
    state (the create) is no delete; a delete state draws no fields."""
    at = f"{where}.changes"
    by_name = {f.name: f for f in fields}
    key = by_name.get(changes.key)
    if key is None:
        problems.add(f"{at}.key", unknown_value("field of schema.fields", changes.key,
                                                by_name))
    elif not isinstance(key, KEY_TYPES):
        problems.add(f"{at}.key", f"{changes.key!r} is not unique per episode; give a uuid or "
                                  "id_sequence field of schema.fields (a row's primary key)")
    if initial in changes.deletes:
        problems.add(f"{at}.deletes", f"the initial state {initial!r} creates the row; it "
                                      "cannot delete it too")
    for state, _ in state_fields:
        if state in changes.deletes:
            problems.add(f"{where}.fields.{state}", f"the state {state!r} deletes the row: a "
                         "deleted row shows no fields; move them to another state")

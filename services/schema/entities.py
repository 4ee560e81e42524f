"""The top-level `entities`: named tables of rows made from the seed alone, which `ref`
fields of the main schema (or of another entity) point into.

Entities are parsed in dependency order, so a ref's parser always sees the entity it names;
a cycle of refs between entities is refused where it closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from services.schema.correlations import parse_correlations
from services.schema.field_list import COLUMN_NAME, parse_field_list
from services.schema.fields import ParseContext
from services.schema.lifecycle import parse_lifecycle
from services.schema.model import Entity
from services.schema.reader import DOC_KEYS, Obj

KEY_TYPES = ("id_sequence", "uuid")  # unique by construction


@dataclass(frozen=True)
class Entities:
    """The entities read without a problem, and every name the file gives one (a ref to an
    entity with problems of its own is not blamed again)."""

    parsed: tuple[Entity, ...] = ()
    names: frozenset[str] = frozenset()

    def context(self) -> ParseContext:
        return ParseContext({}, MappingProxyType({e.name: e for e in self.parsed}), self.names)


def parse_entities(top: Obj) -> Entities:
    obj = top.obj("entities")
    if obj is None:
        return Entities()
    raw = {name: obj.raw(name) for name in obj.data if name not in DOC_KEYS}
    obj.finish()
    if not raw:
        obj.error(None, "declares no entity; give at least one, or leave 'entities' out")
    order, broken = _dependency_order(raw, obj)
    names = frozenset(raw)
    parsed: dict[str, Entity] = {}
    for name in order:
        if name in broken:
            continue
        mark = len(obj.problems)
        context = ParseContext({}, MappingProxyType(dict(parsed)), names)
        entity = _entity(Obj.of(raw[name], obj.at(name), obj.problems), name, context)
        if entity is not None and len(obj.problems) == mark:
            parsed[name] = entity
    return Entities(tuple(parsed.values()), names)


def _entity(obj: Obj | None, name: str, context: ParseContext) -> Entity | None:
    if obj is None:
        return None
    if not COLUMN_NAME.match(name):
        obj.error(None, f"{name!r} is not a valid entity name; accepted: letters, digits and "
                        "_, not starting with a digit")
    count = obj.int("count", required=True, minimum=1)
    raw_fields = obj.list("fields", required=True, non_empty=True)
    first = raw_fields[0].get("name") if raw_fields and isinstance(raw_fields[0], dict) else None
    key = obj.str("key", first if isinstance(first, str) else None)
    if raw_fields is None:
        obj.raw("correlations")  # not judged without fields to name
        obj.raw("lifecycle")
        obj.finish()
        return None
    declared = parse_field_list(raw_fields, obj.at("fields"), obj.problems, context)
    correlations = parse_correlations(obj, declared)
    lifecycle = parse_lifecycle(obj, name, context)
    obj.finish()
    if key is None:
        return None
    if key not in declared.names:
        obj.error("key", f"names no field of entity {name!r}: {key!r}; fields: "
                         f"{', '.join(sorted(declared.names))}")
        return None
    field = declared.field(key)
    if field is None:  # a field with problems of its own: reported there
        return None
    if field.type_name not in KEY_TYPES or field.null_prob > 0:
        what = f"a {field.type_name} field" if field.type_name not in KEY_TYPES else \
            "a field that can be empty (null_prob > 0)"
        usable = [f.name for f in declared.fields
                  if f.type_name in KEY_TYPES and f.null_prob == 0]
        obj.error("key", f"{key!r} is {what}; a key must be unique: an id_sequence or uuid "
                         f"field without null_prob (in this entity: {', '.join(usable) or 'none'})")
        return None
    return Entity(name, count or 1, key, declared.fields, correlations, lifecycle)


def _dependency_order(raw: dict, obj: Obj) -> tuple[list[str], set[str]]:
    """Entity names so that each comes after those it refers to, and the names in a cycle
    (each cycle reported once, at the ref that closes it)."""
    refs = {name: list(_refs_in(value)) for name, value in raw.items()}
    order: list[str] = []
    broken: set[str] = set()
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for where, target in refs[name]:
            if target not in refs:
                continue  # an unknown entity: reported at the field
            if state.get(target) == "open":
                cycle = [*trail[trail.index(target):], target]
                broken.update(cycle)
                obj.problems.add(f"{obj.at(name)}.{where}.entity",
                                 f"refers to {target!r} in a cycle ({' -> '.join(cycle)}); an "
                                 "entity may only refer to entities that do not refer back to it")
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"
        order.append(name)

    for name in refs:
        if name not in state:
            visit(name, [name])
    return order, broken


def _refs_in(raw_entity: object):
    """(where, entity name) of each ref field in an entity's raw fields and in its
    lifecycle's per-state fields (`fields[2]`, `lifecycle.fields.paid[0]`)."""
    data = raw_entity if isinstance(raw_entity, dict) else {}
    lists = [("fields", data.get("fields"))]
    cycle = data.get("lifecycle")
    per_state = cycle.get("fields") if isinstance(cycle, dict) else None
    if isinstance(per_state, dict):
        lists += [(f"lifecycle.fields.{state}", more) for state, more in per_state.items()]
    for where, fields in lists:
        for index, raw in enumerate(fields if isinstance(fields, list) else []):
            if isinstance(raw, dict) and raw.get("type") == "ref" and \
                    isinstance(raw.get("entity"), str):
                yield f"{where}[{index}]", raw["entity"]

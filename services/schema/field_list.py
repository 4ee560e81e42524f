"""A list of fields (the main schema's or an entity's): each parsed in the context of the
fields before it, with unique names and reads of earlier fields only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from services.schema.fields import FIELD_TYPES, Field, ParseContext
from services.schema.reader import Obj, Problems, unknown_value

COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Declared:
    """The fields read without a problem, and every name the file gives a field: what names
    a field with problems of its own is not blamed again (that was reported at the field)."""

    fields: tuple[Field, ...]
    names: frozenset[str]
    readable: bool = True  # False: the list itself is missing or unusable

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def parse_field_list(raw_fields: list, path: str, problems: Problems,
                     context: ParseContext) -> Declared:
    """The fields of `raw_fields` (found at `path`); `context` gives the entities."""
    names = [raw.get("name") if isinstance(raw, dict) else None for raw in raw_fields]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if isinstance(name, str):
            positions.setdefault(name, index)
    earlier: dict[str, Field] = {}
    for index, raw in enumerate(raw_fields):
        field = _field(Obj.of(raw, f"{path}[{index}]", problems), earlier, positions, index,
                       context.entities, context.entity_names)
        if isinstance(names[index], str) and positions[names[index]] != index:
            problems.add(f"{path}[{index}].name",
                         f"duplicate name {names[index]!r}; names must be unique")
        elif field is not None:
            earlier[field.name] = field
    return Declared(tuple(earlier.values()), frozenset(positions))


def _field(
    obj: Obj | None, earlier: dict[str, Field], positions: dict[str, int], index: int,
    entities: Mapping, entity_names: frozenset[str],
) -> Field | None:
    """The field, or None when it has problems of its own: fields and analysis entries that
    name it are then not blamed for them."""
    if obj is None:
        return None
    mark = len(obj.problems)
    field = _parse_field(obj, ParseContext(dict(earlier), entities, entity_names), index)
    obj.finish()
    if field is not None and len(obj.problems) == mark:
        _check_reads(obj, field, earlier, positions, index)
    return field if len(obj.problems) == mark else None


def _parse_field(obj: Obj, context: ParseContext, index: int) -> Field | None:
    name = obj.str("name", required=True)
    if name is not None and not COLUMN_NAME.match(name):
        obj.error("name", f"{name!r} is not a valid column name; accepted: letters, digits "
                          "and _, not starting with a digit")
    type_name = obj.str("type", required=True)
    null_prob = obj.number("null_prob", 0.0, minimum=0, maximum=1)
    if type_name not in FIELD_TYPES:
        if type_name is not None:
            obj.error("type", unknown_value("type", type_name, FIELD_TYPES))
        obj.waive_rest()  # the type decides which keys belong here
        return None
    base = {"name": name or f"field_{index}", "null_prob": float(null_prob or 0.0)}
    return FIELD_TYPES[type_name].parse(obj, base, context)


def _check_reads(
    obj: Obj, field: Field, earlier: dict[str, Field], positions: dict[str, int], index: int,
) -> None:
    """A field reads only fields declared before it (one declared before it with problems
    of its own was reported there)."""
    for ref in field.reads:
        where = positions.get(ref)
        if ref in earlier or (where is not None and where < index):
            continue
        if where is None:
            obj.error(None, f"reads unknown field {ref!r}; known so far: "
                            f"{', '.join(earlier) or 'none'}")
        elif where == index:
            obj.error(None, f"reads itself ({ref!r}); it may only read fields declared "
                            "before it")
        else:
            obj.error(None, f"reads {ref!r}, which is declared later "
                            f"({obj.path.rsplit('[', 1)[0]}[{where}]); derived fields may only "
                            "read fields declared before them")

"""The roles of `analysis`: which fields may fill each, and which fill it by default.

Checked when the file is loaded, so that a job never meets a float as its timestamp or a
category it must sum; a field type (an extension too) says what it can be through its
`role_kind` and `dimension`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.schema.fields import Field
from services.schema.values import BOOLEAN, DATETIME, FLOAT, GEO, INTEGER, STRING

KIND_WORDS = {STRING: "text", INTEGER: "integers", FLOAT: "decimal numbers",
              BOOLEAN: "booleans", DATETIME: "date-times", GEO: "coordinates"}


@dataclass(frozen=True)
class Role:
    accepted: str  # what may fill it, as the message says
    fits: Callable[[Field], bool]
    by_default: Callable[[Field], bool]  # what fills it when the file does not say


ROLES = {
    "timestamp_field": Role(
        "a datetime field",
        lambda f: f.role_kind == DATETIME,
        lambda f: f.type_name == "datetime"),
    "dimensions": Role(
        "a category, bool, derived_map or derived_compare field, or a lookup of one",
        lambda f: f.dimension,
        lambda f: f.type_name == "category"),
    "numeric_fields": Role(
        "an int, float or id_sequence field, or a category, derived_map, faker, ref or lookup "
        "field of numbers",
        lambda f: f.role_kind in (INTEGER, FLOAT),
        lambda f: f.type_name in ("int", "float")),
    "boolean_fields": Role(
        "a bool or derived_compare field, or a category, derived_map, faker or lookup field "
        "of booleans",
        lambda f: f.role_kind == BOOLEAN,
        lambda f: f.type_name == "bool"),
}


def what_field(field: Field) -> str:
    """'a float field', or 'a category field of integers' where the type does not say."""
    words = "" if field.value_kind == field.kind else f" of {KIND_WORDS[field.value_kind]}"
    return f"a {field.type_name} field{words}"


def misfit(role: str, field: Field, fields: tuple[Field, ...]) -> str | None:
    """Why `field` cannot fill `role`, naming what can; None when it can."""
    spec = ROLES[role]
    if spec.fits(field):
        return None
    here = ", ".join(f.name for f in fields if spec.fits(f)) or "none"
    return (f"{field.name!r} is {what_field(field)}; accepted: {spec.accepted} "
            f"(in this file: {here})")


def role_defaults(fields: tuple[Field, ...]) -> dict[str, object]:
    """The `analysis` entries derived from field types when the file leaves them out."""
    picked = {role: tuple(f.name for f in fields if spec.by_default(f))
              for role, spec in ROLES.items()}
    timestamps = picked.pop("timestamp_field")
    return {"timestamp_field": timestamps[0] if timestamps else None, **picked}

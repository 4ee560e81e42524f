"""Conditional tables: a category's choices or a number's distribution per level of an
earlier field (`conditional_on` + `conditional_table`). A number's entry may itself be per
level of another earlier field (a displacement per number of cylinders, then per origin
within four cylinders): the tables nest, each checked where it stands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.schema.reader import DOC_KEYS, Obj

if TYPE_CHECKING:
    from services.schema.fields import Field, ParseContext


def parse_levels(cls: type, obj: Obj, base: dict, ctx: ParseContext,
                 enclosing: tuple[str, ...] = ()) -> tuple[str | None, tuple[tuple[str, Any], ...]]:
    """`conditional_on` + `conditional_table` of a number: each entry holds what the field
    takes at its top level (`cls.parse_margin` reads it) or a table of its own over another
    field, checked where it stands. `enclosing` names the fields of the tables around it."""
    on = obj.str("conditional_on", required=True)
    if on is not None and on in enclosing:
        obj.error("conditional_on", f"{on!r} is already the level of an enclosing table; a "
                                    "nested table reads another field")
    raw_table = obj.raw("conditional_table")
    given = [key for key in cls.margin_keys if obj.has(key)]
    for key in given:
        obj.raw(key)
    if given:
        obj.error(None, f"give either {', '.join(given)} or conditional_on + conditional_table, "
                        "not both (each entry of the table holds its own distribution)")
    if raw_table is None:
        obj.error("conditional_table", "is required with conditional_on (an object: the "
                                       "distribution for each value of the field it names, "
                                       "and '_default')")
        return on, ()
    table = Obj.of(raw_table, obj.at("conditional_table"), obj.problems)
    if table is None:
        return on, ()
    keys = [key for key in table.data if key not in DOC_KEYS]
    if not keys:
        table.error(None, "must not be empty")
    entry_base = {"name": base["name"], "null_prob": 0.0}
    rows = []
    for key in keys:
        entry = Obj.of(table.raw(key), table.at(key), obj.problems)
        if entry is None:
            continue
        if entry.has("conditional_on") or entry.has("conditional_table"):
            inner = parse_levels(cls, entry, entry_base, ctx, (*enclosing, on or ""))
            rows.append((key, cls(**entry_base, conditional_on=inner[0],
                                  conditional_table=inner[1])))
        else:
            rows.append((key, cls.parse_margin(entry, entry_base)))
        entry.finish()
    if on is not None and keys:
        check_coverage(obj, on, keys, ctx)
    return on, tuple(rows)


def level_sources(field: Field) -> tuple[str, ...]:
    """The fields a number's tables read, its own level's first, nested ones after."""
    on = getattr(field, "conditional_on", None)
    if not on:
        return ()
    nested = (s for _, entry in field.conditional_table for s in level_sources(entry))
    return tuple(dict.fromkeys((on, *nested)))


def check_coverage(obj: Obj, on: str, keys: list[str], ctx: ParseContext) -> None:
    """Every value the conditioning field can take needs an entry or `_default`."""
    source = ctx.earlier.get(on)
    if "_default" in keys or source is None:  # an unknown source is reported elsewhere
        return
    if source.known_values is None:
        obj.error("conditional_table", f"needs a '_default' entry: the values of {on!r} "
                                       f"(a {source.type_name} field) are not a known list")
        return
    missing = [v for v in source.known_values if v not in keys]
    if missing:
        obj.error("conditional_table", f"no entry for {', '.join(map(repr, missing))} "
                                       "and no '_default'; add them or a '_default'")
    if source.null_prob > 0:
        obj.error("conditional_table", f"{on!r} can be empty (null_prob > 0), which "
                                       "needs a '_default' entry")

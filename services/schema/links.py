"""Fields that tie a row to an entity row: `ref` picks a row of an entity (its key is the
value), `lookup` copies an attribute of the row a ref picked, and `derived_compare` flags
whether two fields agree (a payment city that is not the card's home city)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.schema.fields import Field, ParseContext, field_type
from services.schema.reader import Obj, unknown_value
from services.schema.values import BOOLEAN, INTEGER

POPULARITY_KINDS = ("uniform", "zipf")
ZIPF_MAX_S = 20.0
COMPARE_OPS = ("==", "!=")


@dataclass(frozen=True)
class Popularity:
    """How often each entity row is picked: all alike, or the row of rank k (row k - 1)
    with weight 1 / k**s."""

    kind: str = "uniform"
    s: float = 0.0


def parse_popularity(obj: Obj) -> Popularity:
    pop = obj.obj("popularity")
    if pop is None:
        return Popularity()
    kind = pop.str("kind", required=True, choices=POPULARITY_KINDS)
    if kind is None:  # its parameters depend on it: not judged against another one
        pop.waive_rest()
        pop.finish()
        return Popularity()
    s = pop.number("s", required=True, above=0, maximum=ZIPF_MAX_S) if kind == "zipf" else 0.0
    pop.finish()
    return Popularity(kind, float(s or 0.0))


@field_type("ref")
@dataclass(frozen=True)
class RefField(Field):
    entity: str = ""
    popularity: Popularity = Popularity()
    key_field: Field | None = None  # the entity's key field: the values are its values

    @property
    def value_kind(self) -> str:
        return self.key_field.value_kind if self.key_field else INTEGER

    @property
    def renders_as(self) -> Field:
        return self.key_field.renders_as if self.key_field else self

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> RefField:
        name = obj.str("entity", required=True)
        popularity = parse_popularity(obj)
        entity = ctx.entities.get(name) if name is not None else None
        if entity is None:
            if name is not None and name not in ctx.entity_names:
                obj.error("entity", unknown_value("entity", name, sorted(ctx.entity_names))
                          if ctx.entity_names else f"unknown entity {name!r}: the file "
                          "declares none (add it under the top-level 'entities')")
            return cls(**base, popularity=popularity)
        key = next(f for f in entity.fields if f.name == entity.key)
        return cls(**base, entity=name, popularity=popularity, key_field=key)


@field_type("lookup")
@dataclass(frozen=True)
class LookupField(Field):
    ref: str = ""
    attribute: str = ""
    source: Field | None = None  # the entity's attribute field: the values are its values
    ref_nullable: bool = False

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.ref,)

    @property
    def value_kind(self) -> str:
        return self.source.value_kind if self.source else self.kind

    @property
    def role_kind(self) -> str:
        return self.source.role_kind if self.source else self.kind

    @property
    def dimension(self) -> bool:  # type: ignore[override]
        return bool(self.source and self.source.dimension)

    @property
    def known_values(self) -> tuple[str, ...] | None:
        if self.source is None or self.ref_nullable or self.source.null_prob > 0:
            return None
        return self.source.known_values

    @property
    def renders_as(self) -> Field:
        return self.source.renders_as if self.source else self

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> LookupField:
        ref, attribute = obj.str("ref", required=True), obj.str("attribute", required=True)
        ref_field = ctx.earlier.get(ref) if ref is not None else None
        if ref_field is None:  # unknown or declared later: reported as a read
            return cls(**base, ref=ref or "", attribute=attribute or "")
        if not isinstance(ref_field, RefField):
            refs = [f.name for f in ctx.earlier.values() if isinstance(f, RefField)]
            obj.error("ref", f"{ref!r} is a {ref_field.type_name} field; a lookup reads a ref "
                             f"field declared before it (here: {', '.join(refs) or 'none'})")
            return cls(**base, ref=ref, attribute=attribute or "")
        entity = ctx.entities.get(ref_field.entity)
        if entity is None:  # an entity with problems of its own: reported there
            return cls(**base, ref=ref, attribute=attribute or "")
        source = next((f for f in entity.fields if f.name == attribute), None)
        if attribute is not None and source is None:
            obj.error("attribute", unknown_value("attribute", attribute,
                                                 [f.name for f in entity.fields])
                      + f" (the fields of entity {entity.name!r})")
        return cls(**base, ref=ref, attribute=attribute or "", source=source,
                   ref_nullable=ref_field.null_prob > 0)


@field_type("derived_compare")
@dataclass(frozen=True)
class DerivedCompareField(Field):
    left: str = ""
    op: str = "=="
    right: str = ""
    kind: ClassVar[str] = BOOLEAN
    dimension: ClassVar[bool] = True

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.left, self.right)

    @property
    def known_values(self) -> tuple[str, ...]:
        return ("true", "false")

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> DerivedCompareField:
        left = obj.str("left", required=True)
        op = obj.str("op", required=True, choices=COMPARE_OPS)
        right = obj.str("right", required=True)
        return cls(**base, left=left or "", op=op or "==", right=right or "")

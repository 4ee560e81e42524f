"""Field types of the schema file: one frozen model per type, registered by type name.

Every built-in type is registered with `@field_type`, the same way an extension would be;
the generator engine keeps the matching column functions and checks at import time that
every registered type has one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from services.schema.faker_check import check_provider
from services.schema.levels import check_coverage, level_sources, parse_levels
from services.schema.quantiles import parse_quantiles
from services.schema.reader import Obj, describe, is_number, is_scalar
from services.schema.values import (
    BOOLEAN,
    DATETIME,
    FLOAT,
    GEO,
    INTEGER,
    STRING,
    Choice,
    PatternPart,
    Profile,
    check_strftime,
    kind_of_values,
    mixed_kinds,
    parse_choices,
    parse_pattern,
    parse_weights,
    text_of,
)

if TYPE_CHECKING:
    from services.schema.model import Entity

FIELD_TYPES: dict[str, type[Field]] = {}


def field_type(name: str) -> Callable[[type[Field]], type[Field]]:
    """Register a field model under its schema `type` name."""

    def register(cls: type[Field]) -> type[Field]:
        if name in FIELD_TYPES:
            raise ValueError(f"field type {name!r} is already registered")
        if not hasattr(cls, "parse"):
            raise TypeError(f"field type {name!r}: {cls.__name__} has no parse()")
        cls.type_name = name
        FIELD_TYPES[name] = cls
        return cls

    return register


@dataclass(frozen=True)
class Field:
    name: str
    null_prob: float

    type_name: ClassVar[str] = ""
    kind: ClassVar[str] = STRING
    dimension: ClassVar[bool] = False  # its values are labels from a declared list

    @property
    def reads(self) -> tuple[str, ...]:
        """Earlier fields this one reads."""
        return ()

    @property
    def value_kind(self) -> str:
        return self.kind

    @property
    def role_kind(self) -> str:
        """What `analysis` may use the values as (a datetime is a time in any format)."""
        return self.value_kind

    @property
    def known_values(self) -> tuple[str, ...] | None:
        """The text of every value the field can take, when the schema lists them (the keys
        a conditional table must cover); None when it does not."""
        return None

    @property
    def renders_as(self) -> Field:
        """The field whose rendering (text, JSON, Parquet type) this one's values take."""
        return self


@dataclass(frozen=True)
class ParseContext:
    """What a field's parser may look at: the fields declared before it, the entities it
    may refer to, and every entity name the file declares (one with problems of its own is
    not blamed again)."""

    earlier: dict[str, Field]
    entities: Mapping[str, Entity] = field(default_factory=lambda: MappingProxyType({}))
    entity_names: frozenset[str] = frozenset()


@field_type("uuid")
@dataclass(frozen=True)
class UuidField(Field):
    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> UuidField:
        return cls(**base)


@field_type("id_sequence")
@dataclass(frozen=True)
class IdSequenceField(Field):
    start: int = 1
    step: int = 1
    kind: ClassVar[str] = INTEGER

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> IdSequenceField:
        return cls(**base, start=obj.int("start", 1), step=obj.int("step", 1))


@field_type("int")
@dataclass(frozen=True)
class IntField(Field):
    min: int = 0
    max: int = 100
    skew: float = 1.0
    distribution: str = "uniform"  # or "empirical", drawn from `quantiles`
    quantiles: tuple[float, ...] = ()
    conditional_on: str | None = None  # per-level margins: one IntField per level,
    conditional_table: tuple[tuple[str, IntField], ...] = ()  # itself per level or not
    kind: ClassVar[str] = INTEGER
    margin_keys: ClassVar[tuple[str, ...]] = ("min", "max", "skew", "distribution",
                                              "quantiles")

    @property
    def reads(self) -> tuple[str, ...]:
        return level_sources(self)

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> IntField:
        if obj.has("conditional_on") or obj.has("conditional_table"):
            on, table = parse_levels(cls, obj, base, ctx)
            return cls(**base, conditional_on=on, conditional_table=table)
        return cls.parse_margin(obj, base)

    @classmethod
    def parse_margin(cls, obj: Obj, base: dict) -> IntField:
        """The distribution's keys: the field's own, or one entry of its conditional table."""
        dist = obj.str("distribution", "uniform", choices=("uniform", "empirical"))
        if dist != "uniform":  # empirical, or unknown: min, max and skew do not apply
            if dist is None:
                obj.waive_rest()
                return cls(**base)
            return cls(**base, distribution=dist, quantiles=parse_quantiles(obj))
        lo, hi = obj.int("min", 0), obj.int("max", 100)
        skew = obj.number("skew", 1.0, above=0)
        if lo is not None and hi is not None and lo > hi:
            obj.error("min", f"min ({lo}) must be <= max ({hi})")
        return cls(**base, min=lo or 0, max=hi or 0, skew=skew or 1.0)


FLOAT_DISTRIBUTIONS = {
    "uniform": {"min": 0.0, "max": 1.0},
    "normal": {"mean": 0.0, "stddev": 1.0},
    "lognormal": {"mean": 0.0, "stddev": 1.0},
    "exponential": {"lambda": 1.0},
    "empirical": {},  # its `quantiles` table instead
}


@field_type("float")
@dataclass(frozen=True)
class FloatField(Field):
    distribution: str = "uniform"
    params: tuple[tuple[str, float], ...] = ()
    decimals: int | None = None
    quantiles: tuple[float, ...] = ()  # of an empirical distribution
    conditional_on: str | None = None  # per-level margins: one FloatField per level,
    conditional_table: tuple[tuple[str, FloatField], ...] = ()  # itself per level or not
    kind: ClassVar[str] = FLOAT
    margin_keys: ClassVar[tuple[str, ...]] = ("distribution", "quantiles", *sorted(
        {key for params in FLOAT_DISTRIBUTIONS.values() for key in params}))

    @property
    def reads(self) -> tuple[str, ...]:
        return level_sources(self)

    def param(self, key: str) -> float:
        return dict(self.params)[key]

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> FloatField:
        if obj.has("conditional_on") or obj.has("conditional_table"):
            decimals = obj.int("decimals", None, minimum=0, maximum=15)
            on, table = parse_levels(cls, obj, base, ctx)
            return cls(**base, decimals=decimals, conditional_on=on, conditional_table=table)
        margin = cls.parse_margin(obj, base)
        if obj.data.get("distribution", "uniform") not in FLOAT_DISTRIBUTIONS:
            return margin  # the rest depends on it: not judged
        decimals = obj.int("decimals", None, minimum=0, maximum=15)
        return replace(margin, decimals=decimals)

    @classmethod
    def parse_margin(cls, obj: Obj, base: dict) -> FloatField:
        """The distribution's keys: the field's own, or one entry of its conditional table."""
        dist = obj.str("distribution", "uniform", choices=FLOAT_DISTRIBUTIONS)
        if dist is None:  # its parameters depend on it: not judged against another one
            obj.waive_rest()
            return cls(**base)
        params = {}
        for key, default in FLOAT_DISTRIBUTIONS[dist].items():
            if key in ("stddev",):
                params[key] = obj.number(key, default, minimum=0)
            elif key == "lambda":
                params[key] = obj.number(key, default, above=0)
            else:
                params[key] = obj.number(key, default)
        if dist == "uniform" and None not in params.values() and params["min"] > params["max"]:
            obj.error("min", f"min ({params['min']}) must be <= max ({params['max']})")
        quantiles = parse_quantiles(obj) if dist == "empirical" else ()
        clean = tuple((k, float(v if v is not None else 0.0)) for k, v in params.items())
        return cls(**base, distribution=dist, params=clean, quantiles=quantiles)


@field_type("bool")
@dataclass(frozen=True)
class BoolField(Field):
    p_true: float = 0.5
    kind: ClassVar[str] = BOOLEAN
    dimension: ClassVar[bool] = True

    @property
    def known_values(self) -> tuple[str, ...]:
        return ("true", "false")

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> BoolField:
        return cls(**base, p_true=obj.number("p_true", 0.5, minimum=0, maximum=1) or 0.0)


@field_type("category")
@dataclass(frozen=True)
class CategoryField(Field):
    choices: tuple[Choice, ...] = ()
    conditional_on: str | None = None
    conditional_table: tuple[tuple[str, tuple[Choice, ...]], ...] = ()
    dimension: ClassVar[bool] = True

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.conditional_on,) if self.conditional_on else ()

    @property
    def known_values(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(text_of(c.value) for c in self.all_choices))

    @property
    def all_choices(self) -> tuple[Choice, ...]:
        return self.choices + tuple(c for _, cs in self.conditional_table for c in cs)

    @property
    def value_kind(self) -> str:
        return kind_of_values([c.value for c in self.all_choices])

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> CategoryField:
        has_choices, on = obj.has("choices"), obj.str("conditional_on")
        raw_table = obj.raw("conditional_table")
        if has_choices and (on or raw_table is not None):
            obj.error(None, "give either choices or conditional_on + conditional_table, not both")
        if has_choices:
            choices = parse_choices(obj.raw("choices"), obj.at("choices"), obj)
            cls._check_one_kind(obj, "choices", choices)
            return cls(**base, choices=choices)
        if on is None:
            obj.error("choices", "is required (a list of values), or conditional_on + "
                                 "conditional_table")
            return cls(**base)
        table = Obj.of(raw_table, obj.at("conditional_table"), obj.problems)
        if table is None:
            return cls(**base, conditional_on=on)
        if not table.data:
            table.error(None, "must not be empty")
        rows = tuple(
            (key, parse_choices(value, table.at(key), table)) for key, value in table.data.items()
        )
        cls._check_one_kind(obj, "conditional_table", tuple(c for _, cs in rows for c in cs))
        check_coverage(obj, on, [key for key, _ in rows], ctx)
        return cls(**base, conditional_on=on, conditional_table=rows)

    @staticmethod
    def _check_one_kind(obj: Obj, key: str, choices: tuple[Choice, ...]) -> None:
        error = mixed_kinds([c.value for c in choices])
        if error:
            obj.error(key, error)

@field_type("string")
@dataclass(frozen=True)
class StringField(Field):
    pattern: str = "STR-{0000-9999}"
    parts: tuple[PatternPart, ...] = ()

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> StringField:
        pattern = obj.str("pattern", "STR-{0000-9999}") or "STR-{0000-9999}"
        parts, error = parse_pattern(pattern)
        if error:
            obj.error("pattern", error + "; accepted: {A-Z}, {a-z}, {LO-HI} and literal text")
        return cls(**base, pattern=pattern, parts=parts)


DATETIME_MODES = ("uniform", "ramp", "seasonality")
EPOCH_S, EPOCH_MS = "epoch_s", "epoch_ms"  # whole seconds or milliseconds since 1970 UTC
EPOCH_FORMATS = (EPOCH_MS, EPOCH_S)


@field_type("datetime")
@dataclass(frozen=True)
class DatetimeField(Field):
    mode: str = "uniform"
    direction: str = "up"
    profile: Profile = Profile()  # noqa: RUF009 (frozen, so one shared default is safe)
    format: str = "iso"
    kind: ClassVar[str] = DATETIME

    @property
    def is_strftime(self) -> bool:
        return self.format not in ("iso", *EPOCH_FORMATS)

    @property
    def value_kind(self) -> str:
        return INTEGER if self.format in EPOCH_FORMATS else DATETIME

    @property
    def role_kind(self) -> str:
        return DATETIME

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> DatetimeField:
        mode = obj.str("mode", "uniform", choices=DATETIME_MODES)
        if mode is None:  # direction and profile depend on it: not judged against another
            obj.waive_rest()
            return cls(**base)
        direction = "up"
        if obj.has("direction") or mode == "ramp":
            direction = obj.str("direction", "up", choices=("up", "down")) or "up"
            if mode != "ramp":
                obj.error("direction", "only applies to mode 'ramp'")
        profile = Profile()
        if obj.has("profile") or mode == "seasonality":
            prof = obj.obj("profile")
            if mode != "seasonality" and prof is not None:
                obj.error("profile", "only applies to mode 'seasonality'")
            if prof is not None:
                profile = Profile(parse_weights(prof, "hour_of_day", 24),
                                  parse_weights(prof, "day_of_week", 7))
                prof.finish()
        fmt = obj.str("format", "iso") or "iso"
        if fmt not in ("iso", *EPOCH_FORMATS):
            error = check_strftime(fmt)
            if error:
                obj.error("format", error)
        return cls(**base, mode=mode, direction=direction, profile=profile, format=fmt)


@field_type("geo")
@dataclass(frozen=True)
class GeoField(Field):
    bbox: tuple[float, float, float, float] = (-90.0, -180.0, 90.0, 180.0)
    precision: int = 6
    as_object: bool = True
    kind: ClassVar[str] = GEO

    @property
    def value_kind(self) -> str:
        return GEO if self.as_object else STRING

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> GeoField:
        bbox = cls._parse_bbox(obj)
        precision = obj.int("precision", 6, minimum=0, maximum=12)
        as_object = obj.bool("as_object", True)
        return cls(**base, bbox=bbox, precision=6 if precision is None else precision,
                   as_object=as_object)

    @staticmethod
    def _parse_bbox(obj: Obj) -> tuple[float, float, float, float]:
        default = (-90.0, -180.0, 90.0, 180.0)
        raw = obj.raw("bbox", list(default))
        accepted = "[lat_min, lon_min, lat_max, lon_max] with lat in -90..90, lon in -180..180"
        if not (isinstance(raw, list) and len(raw) == 4 and all(is_number(v) for v in raw)):
            obj.error("bbox", f"must be four numbers {accepted}, got {describe(raw)}")
            return default
        lat0, lon0, lat1, lon1 = (float(v) for v in raw)
        if not (-90 <= lat0 < lat1 <= 90 and -180 <= lon0 < lon1 <= 180):
            obj.error("bbox", f"{raw} is out of range or empty; accepted: {accepted}, "
                              "min < max")
            return default
        return (lat0, lon0, lat1, lon1)


@field_type("derived_concat")
@dataclass(frozen=True)
class DerivedConcatField(Field):
    parts: tuple[str, ...] = ()
    sep: str = "-"

    @property
    def reads(self) -> tuple[str, ...]:
        return self.parts

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> DerivedConcatField:
        parts = obj.list("parts", required=True, non_empty=True) or []
        if not all(isinstance(p, str) for p in parts):
            obj.error("parts", "must be a list of field names")
            parts = []
        return cls(**base, parts=tuple(parts), sep=obj.str("sep", "-") or "")


@field_type("derived_map")
@dataclass(frozen=True)
class DerivedMapField(Field):
    from_field: str = ""
    map: tuple[tuple[str, Any], ...] = ()
    default: Any = None
    dimension: ClassVar[bool] = True

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.from_field,)

    @property
    def value_kind(self) -> str:
        return kind_of_values([v for _, v in self.map] + [self.default])

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> DerivedMapField:
        source = obj.str("from_field", required=True) or ""
        mapping = obj.obj("map", required=True)
        pairs: list[tuple[str, Any]] = []
        if mapping is not None:
            for key, value in mapping.data.items():
                mapping.raw(key)
                if value is not None and not is_scalar(value):
                    mapping.error(key, "must be a string, number, boolean or null")
                else:
                    pairs.append((key, value))
        default = obj.raw("default")
        if default is not None and not is_scalar(default):
            obj.error("default", "must be a string, number, boolean or null")
            default = None
        cls._check_one_kind(obj, [v for _, v in pairs], default)
        return cls(**base, from_field=source, map=tuple(pairs), default=default)

    @staticmethod
    def _check_one_kind(obj: Obj, values: list[Any], default: Any) -> None:
        """The mapped values, then the default with them, must fit one column type."""
        if error := mixed_kinds(values):
            obj.error("map", error)
        elif error := mixed_kinds([*values, default]):
            obj.error("default", error)


@field_type("faker")
@dataclass(frozen=True)
class FakerField(Field):
    """Values from a Faker provider, drawn once into a seeded pool and sampled per block."""

    provider: str = ""
    locale: str = "en_US"
    args: tuple[tuple[str, Any], ...] = ()
    pool_size: int = 10_000
    sample_kind: str = STRING

    @property
    def value_kind(self) -> str:
        return self.sample_kind

    @classmethod
    def parse(cls, obj: Obj, base: dict, ctx: ParseContext) -> FakerField:
        provider = obj.str("provider", required=True) or ""
        locale = obj.str("locale", "en_US") or "en_US"
        args_obj = obj.obj("args")
        args = tuple(args_obj.data.items()) if args_obj is not None else ()
        if args_obj is not None:
            for key in args_obj.data:
                args_obj.raw(key)
        pool_size = obj.int("pool_size", 10_000, minimum=1, maximum=1_000_000) or 10_000
        kind = STRING
        if provider:
            kind, error = check_provider(provider, locale, dict(args))
            if error:
                obj.error(error[0], error[1])
        return cls(**base, provider=provider, locale=locale, args=args, pool_size=pool_size,
                   sample_kind=kind)

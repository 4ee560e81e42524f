"""The schema of the events the producer sends, derived from the schema file: as an Avro
record and as a JSON Schema, for a schema registry.

An event holds the schema's fields plus `event_time` (ISO-8601 UTC, never null), which the
producer adds or normalises. Each field maps to one `EventField` (one dispatch point,
`event_field`); both renderings read those, never the field models. Timestamps become
Avro's timestamp-millis; a field that can be null (its null_prob, or a field it reads, a
map with null values, a lifecycle's per-state field) a union with null; entities' refs and
lookups the plain type of the value they copy; a float field with `decimals` that a money
measure reads, a decimal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.schema.fields import (
    EPOCH_FORMATS,
    BoolField,
    DatetimeField,
    DerivedMapField,
    Field,
    FloatField,
    GeoField,
    IdSequenceField,
    IntField,
    UuidField,
)
from services.schema.links import DerivedCompareField, LookupField, RefField
from services.schema.model import Dataset
from services.schema.values import BOOLEAN, FLOAT, INTEGER

EVENT_TIME = "event_time"
NAMESPACE = "sdp.events"
DECIMAL_PRECISION = 18  # digits; money with `decimals` places fits any amount we generate
# The kinds of event values, and the Avro type of each.
AVRO_TYPES: Mapping[str, Any] = {
    "string": "string",
    "uuid": {"type": "string", "logicalType": "uuid"},
    "long": "long",
    "double": "double",
    "boolean": "boolean",
    "timestamp": {"type": "long", "logicalType": "timestamp-millis"},
}
JSON_TYPES: Mapping[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
    "long": {"type": "integer"},
    "double": {"type": "number"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "geo": {"type": "object", "properties": {"lat": {"type": "number"},
                                             "lon": {"type": "number"}},
            "required": ["lat", "lon"]},
}


@dataclass(frozen=True)
class EventField:
    """One key of an event. `time_format` (timestamps) is how the JSON event writes the
    time: iso, epoch_ms, epoch_s or a strftime format; `scale` (decimals) the places."""

    name: str
    kind: str  # string, uuid, long, double, decimal, boolean, timestamp, geo
    nullable: bool
    time_format: str | None = None
    scale: int | None = None


def event_fields(dataset: Dataset) -> tuple[EventField, ...]:
    """The keys of every event, in the order the producer writes them: the schema file's
    fields, with `event_time` as the producer stamps it."""
    stamp = EventField(EVENT_TIME, "timestamp", False, "iso")
    out = tuple(stamp if f.name == EVENT_TIME else f for f in record_fields(dataset))
    return out if any(f.name == EVENT_TIME for f in out) else (*out, stamp)


def record_fields(dataset: Dataset) -> tuple[EventField, ...]:
    """The schema file's fields exactly, as Avro values (what an Avro container file of the
    generator holds, as its CSV holds these columns and no event_time of its own)."""
    money = {name for m in dataset.analysis.measures if m.money for name in m.inputs}
    cycle = dataset.lifecycle  # a per-state field is null in the rows of other states
    per_state = {f.name for f in cycle.extra_fields} if cycle is not None else set()
    nullable: dict[str, bool] = {}
    out = []
    for field in dataset.fields:
        nullable[field.name] = field.name in per_state or may_be_null(field, nullable)
        out.append(event_field(field, nullable[field.name], field.name in money))
    return tuple(out)


def may_be_null(field: Field, earlier: Mapping[str, bool]) -> bool:
    """Whether some value of `field` can be null, given which earlier fields can be."""
    if field.null_prob > 0 or any(earlier.get(name, False) for name in _null_sources(field)):
        return True
    if isinstance(field, LookupField):
        return field.ref_nullable or field.source is None or field.source.null_prob > 0
    if isinstance(field, DerivedMapField):
        return field.default is None or any(value is None for _, value in field.map)
    return False


def _null_sources(field: Field) -> tuple[str, ...]:
    """The fields whose nulls carry into this one (a concat writes a null part as '')."""
    if isinstance(field, (LookupField, DerivedCompareField)):
        return field.reads
    return ()


def event_field(field: Field, nullable: bool, money: bool = False) -> EventField:
    """The event value a field becomes: its kind, told by what it renders as."""
    shown = field.renders_as
    name = field.name
    if isinstance(shown, DatetimeField):
        if shown.format in EPOCH_FORMATS or not shown.is_strftime or _has_year(shown.format):
            return EventField(name, "timestamp", nullable, shown.format)
        return EventField(name, "string", nullable)  # a time of day: no instant to name
    if isinstance(shown, GeoField):
        return EventField(name, "geo" if shown.as_object else "string", nullable)
    if isinstance(shown, UuidField):
        return EventField(name, "uuid", nullable)
    if isinstance(shown, (IdSequenceField, IntField)):
        return EventField(name, "long", nullable)
    if isinstance(shown, FloatField):
        if money and shown.decimals is not None and not isinstance(field, (RefField,
                                                                           LookupField)):
            return EventField(name, "decimal", nullable, scale=shown.decimals)
        return EventField(name, "double", nullable)
    if isinstance(shown, (BoolField, DerivedCompareField)):
        return EventField(name, "boolean", nullable)
    kind = shown.value_kind
    return EventField(name, {INTEGER: "long", FLOAT: "double", BOOLEAN: "boolean"}.get(
        kind, "string"), nullable)


def _has_year(fmt: str) -> bool:
    return any(code in fmt for code in ("%Y", "%y", "%G", "%c", "%x", "%F"))


def record_name(dataset: Dataset) -> str:
    """An Avro name from the dataset's name (letters, digits, underscores)."""
    name = re.sub(r"\W", "_", dataset.analysis.name or "event", flags=re.ASCII)
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def avro_schema(dataset: Dataset, items: tuple[EventField, ...] | None = None,
                ) -> dict[str, Any]:
    """The Avro record of the events (nullable fields default to null), or of `items`."""
    fields = []
    for item in event_fields(dataset) if items is None else items:
        kind = _avro_type(item)
        if item.nullable:
            fields.append({"name": item.name, "type": ["null", kind], "default": None})
        else:
            fields.append({"name": item.name, "type": kind})
    return {"type": "record", "name": record_name(dataset), "namespace": NAMESPACE,
            "fields": fields}


def _avro_type(item: EventField) -> Any:
    if item.kind == "decimal":
        return {"type": "bytes", "logicalType": "decimal", "precision": DECIMAL_PRECISION,
                "scale": item.scale}
    if item.kind == "geo":
        return {"type": "record", "name": f"{item.name}_geo",
                "fields": [{"name": "lat", "type": "double"},
                           {"name": "lon", "type": "double"}]}
    return AVRO_TYPES[item.kind]


def json_schema(dataset: Dataset) -> dict[str, Any]:
    """The JSON Schema (draft 7) of the events as JSON text: what the JSON path sends."""
    properties = {}
    for item in event_fields(dataset):
        kind = dict(_json_type(item))
        if item.nullable:
            kind["type"] = [kind["type"], "null"]
        properties[item.name] = kind
    required = [item.name for item in event_fields(dataset) if not item.nullable]
    return {"$schema": "http://json-schema.org/draft-07/schema#",
            "title": record_name(dataset),
            "type": "object", "properties": properties, "required": required}


def _json_type(item: EventField) -> dict[str, Any]:
    if item.kind != "timestamp":
        return JSON_TYPES[item.kind]
    if item.time_format in EPOCH_FORMATS:
        unit = "milliseconds" if item.time_format == "epoch_ms" else "seconds"
        return {"type": "integer", "description": f"UTC time, {unit} since 1970"}
    if item.time_format == "iso":
        return {"type": "string", "description": "UTC time, ISO-8601 without a zone"}
    return {"type": "string", "description": f"UTC time, strftime {item.time_format}"}

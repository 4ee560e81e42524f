"""How a generated column looks in each output: CSV text, JSON fragments, Parquet and Avro
arrays.

Columns are kept in logical arrow types (timestamp, struct for geo, ...) and rendered here,
in one place, so derived fields, CSV, JSONL and Parquet all agree on a value's text.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import any_byte, byte_table, concat
from services.extracts import float_text, geo_text, iso_text
from services.schema import (
    EPOCH_FORMATS,
    EPOCH_MS,
    EPOCH_S,
    DatetimeField,
    EventField,
    Field,
    GeoField,
)

CSV_SPECIAL = byte_table(b',"\r\n')
JSON_SPECIAL = byte_table(b'"\\' + bytes(range(32)))
JSON_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
AVRO_ARROW = {"long": pa.int64(), "double": pa.float64(), "decimal": pa.float64(),
              "boolean": pa.bool_()}


def datetime_text(field: DatetimeField, values: pa.Array) -> pa.Array:
    if field.format == "iso":
        return iso_text(values)
    if field.format == EPOCH_S:
        return pc.cast(pc.cast(values, pa.int64()), pa.string())
    if field.format == EPOCH_MS:
        return pc.cast(pc.multiply(pc.cast(values, pa.int64()), 1000), pa.string())
    return pc.strftime(values, format=field.format)


def text(field: Field, values: pa.Array) -> pa.Array:
    """The value as CSV shows it (before quoting); nulls stay null."""
    field = field.renders_as
    kind = values.type
    if pa.types.is_string(kind):
        return values
    if pa.types.is_boolean(kind):
        return pc.if_else(values, "true", "false")
    if pa.types.is_floating(kind):
        return float_text(values)
    if pa.types.is_integer(kind):
        return pc.cast(values, pa.string())
    if pa.types.is_timestamp(kind) and isinstance(field, DatetimeField):
        return datetime_text(field, values)
    if pa.types.is_struct(kind) and isinstance(field, GeoField):
        return geo_text(values, field.as_object)
    raise TypeError(f"field {field.name!r}: no text rendering for arrow type {kind}")


def csv_plain(field: Field, values: pa.Array) -> pa.Array:
    """The column for arrow's CSV writer: integers and booleans as they are (it writes them
    as `text` would), everything else as text."""
    kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_string(kind):
        return values
    return text(field, values)


def csv_cells(field: Field, values: pa.Array) -> pa.Array:
    """RFC 4180 cells: empty for null, quoted only where needed."""
    cells = pc.fill_null(text(field, values), "")
    if any_byte(cells, CSV_SPECIAL):
        needs = pc.match_substring_regex(cells, '[,"\r\n]')
        quoted = concat('"', pc.replace_substring(cells, '"', '""'), '"')
        cells = pc.if_else(needs, quoted, cells)
    return cells


def json_strings(strings: pa.Array) -> pa.Array:
    """JSON string literals for a string array (nulls stay null)."""
    if any_byte(strings, JSON_SPECIAL):
        for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"),
                             ("\t", "\\t")):
            strings = pc.replace_substring(strings, raw, escaped)
        control = pc.fill_null(pc.match_substring_regex(strings, JSON_CONTROL), False)
        if pc.any(control).as_py():
            # Rare: other control characters need \\u escapes; json.dumps on those rows only.
            rows = np.flatnonzero(control.to_numpy(zero_copy_only=False))
            fixed = strings.to_pylist()
            for row in rows:
                fixed[row] = json.dumps(fixed[row])[1:-1]
            strings = pa.array(fixed, pa.string())
    return concat('"', strings, '"')


def is_json_native(field: Field, kind: pa.DataType) -> bool:
    """Values whose text is already JSON: numbers, booleans, epoch times, geo objects."""
    field = field.renders_as
    if pa.types.is_boolean(kind) or pa.types.is_floating(kind) or pa.types.is_integer(kind):
        return True
    if isinstance(field, DatetimeField):
        return field.format in EPOCH_FORMATS
    return isinstance(field, GeoField) and field.as_object


def json_values(field: Field, values: pa.Array) -> pa.Array:
    """JSON fragments with real JSON types: numbers, booleans, null, geo objects."""
    kind = values.type
    if pa.types.is_string(kind):
        out = json_strings(values)
    elif is_json_native(field, kind):
        out = text(field, values)
    else:
        out = json_strings(text(field, values))
    return pc.fill_null(out, "null")


def parquet_values(field: Field, values: pa.Array) -> pa.Array:
    """Typed Parquet columns: timestamps stay timestamps unless a text or epoch format is
    asked for; geo objects are structs."""
    field = field.renders_as
    if isinstance(field, DatetimeField):
        if field.format == "iso":
            return values
        if field.format in EPOCH_FORMATS:
            return pc.cast(text(field, values), pa.int64())
        return text(field, values)
    if isinstance(field, GeoField) and not field.as_object:
        return text(field, values)
    return values


def avro_values(field: Field, item: EventField, values: pa.Array) -> pa.Array:
    """The column as services.common.avro_columns encodes `item` (record_fields): times as
    epoch milliseconds of what CSV shows (a strftime text read back by its format), text as
    CSV shows it, numbers and booleans as they are, geo objects as structs."""
    kind = item.kind
    if kind in ("string", "uuid"):
        return text(field, values)
    if kind == "geo":
        return values
    shown = parquet_values(field, values)
    if kind != "timestamp":
        return pc.cast(shown, AVRO_ARROW[kind])
    if pa.types.is_timestamp(shown.type):
        return pc.cast(pc.cast(shown, pa.timestamp("ms")), pa.int64())
    if pa.types.is_integer(shown.type):
        return shown if field.renders_as.format == EPOCH_MS else pc.multiply(shown, 1000)
    ms = pc.strptime(shown, format=field.renders_as.format, unit="ms")
    return pc.cast(ms, pa.int64())

"""How a generated column looks in each output: CSV text, JSON fragments, Parquet arrays.

Columns are kept in logical arrow types (timestamp, struct for geo, ...) and rendered here,
in one place, so derived fields, CSV, JSONL and Parquet all agree on a value's text.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.generator.arrow_util import (
    any_byte,
    byte_table,
    concat,
    fixed_width_strings,
    with_nulls,
)
from services.schema import EPOCH_FORMATS, EPOCH_MS, EPOCH_S
from services.schema.fields import DatetimeField, Field, GeoField

CSV_SPECIAL = byte_table(b',"\r\n')
JSON_SPECIAL = byte_table(b'"\\' + bytes(range(32)))
JSON_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
SECONDS = pa.timestamp("s")


def float_text(values: pa.Array) -> pa.Array:
    """Shortest round-trip text, with '.0' on integral values so they still read as floats."""
    text = pc.cast(values, pa.string())
    numbers = values.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        integral = np.isfinite(numbers) & (np.abs(numbers) < 1e21) & (numbers == np.floor(numbers))
    if integral.any():
        text = pc.if_else(pa.array(integral), concat(text, ".0"), text)
    return text


def civil_from_seconds(seconds: np.ndarray) -> tuple[np.ndarray, ...]:
    """(year, month, day, hour, minute, second) of epoch seconds, vectorised
    (H. Hinnant's days-to-civil algorithm)."""
    days, clock = np.divmod(seconds, 86_400)
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day, clock // 3600, clock // 60 % 60, clock % 60


def iso_text(values: pa.Array) -> pa.Array:
    """YYYY-MM-DDTHH:MM:SS for second timestamps, written digit by digit into a matrix."""
    seconds = pc.fill_null(pc.cast(values, pa.int64()), 0).to_numpy()
    parts = civil_from_seconds(seconds)
    if len(seconds) and (parts[0].min() < 1 or parts[0].max() > 9999):
        return pc.replace_substring(pc.cast(values, pa.string()), " ", "T", max_replacements=1)
    out = np.empty((len(seconds), 19), dtype=np.uint8)
    out[:, [4, 7]] = ord("-")
    out[:, 10] = ord("T")
    out[:, [13, 16]] = ord(":")
    for value, start, width in zip(parts, (0, 5, 8, 11, 14, 17), (4, 2, 2, 2, 2, 2), strict=True):
        for digit in range(width - 1, -1, -1):
            out[:, start + digit] = ord("0") + value % 10
            value = value // 10
    text = fixed_width_strings(out)
    return with_nulls(text, values.is_null().to_numpy(zero_copy_only=False)) \
        if values.null_count else text


def datetime_text(field: DatetimeField, values: pa.Array) -> pa.Array:
    if field.format == "iso":
        return iso_text(values)
    if field.format == EPOCH_S:
        return pc.cast(pc.cast(values, pa.int64()), pa.string())
    if field.format == EPOCH_MS:
        return pc.cast(pc.multiply(pc.cast(values, pa.int64()), 1000), pa.string())
    return pc.strftime(values, format=field.format)


def geo_text(values: pa.Array, as_object: bool) -> pa.Array:
    lat = float_text(pc.struct_field(values, "lat"))
    lon = float_text(pc.struct_field(values, "lon"))
    if as_object:
        return concat('{"lat": ', lat, ', "lon": ', lon, "}")
    return concat(lat, ",", lon)


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


def is_geo_struct(kind: pa.DataType) -> bool:
    return pa.types.is_struct(kind) and sorted(f.name for f in kind) == ["lat", "lon"]


def parquet_text(values: pa.Array) -> pa.Array:
    """The text CSV shows for a column read back from a Parquet extract, told by its type
    alone (parquet_values keeps timestamps for the iso format only, structs for geo objects
    only), so readers of Parquet see what they would see in the CSV of the same rows.
    Types the generator does not write take Arrow's own text; nulls stay null."""
    kind = values.type
    if pa.types.is_timestamp(kind):
        return timestamp_text(values)
    if is_geo_struct(kind):
        return geo_text(values, as_object=True)
    if pa.types.is_boolean(kind):
        return pc.if_else(values, "true", "false")
    if pa.types.is_floating(kind):
        return float_text(values)
    return pc.cast(values, pa.string())


def timestamp_text(values: pa.Array) -> pa.Array:
    """iso_text for whole seconds (Parquet stores the generator's seconds as milliseconds);
    finer times, which the generator does not write, keep their fraction."""
    try:
        seconds = pc.cast(values, SECONDS)
    except pa.ArrowInvalid:
        text = pc.strftime(values, format="%Y-%m-%dT%H:%M:%S")
        return pc.replace_substring_regex(text, r"\.0+$", "")
    return iso_text(seconds)

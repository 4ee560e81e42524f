"""The text of a value in an extract: what CSV shows, and what a reader of any format sees.

The generator renders its columns to this text (services.generator.render), and the readers
turn Parquet's typed columns into it (`parquet_text`; the batch job's Spark twin is
services.spark.extracts.as_text), so a value reads the same from every format.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import concat, fixed_width_strings, with_nulls

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


def geo_text(values: pa.Array, as_object: bool) -> pa.Array:
    lat = float_text(pc.struct_field(values, "lat"))
    lon = float_text(pc.struct_field(values, "lon"))
    if as_object:
        return concat('{"lat": ', lat, ', "lon": ', lon, "}")
    return concat(lat, ",", lon)


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

"""Avro extracts (the generator's --format avro, services.common.avro_container): read with
fastavro, a batch of records at a time, and turned into the text the same rows have in CSV,
column at a time.

Why text, as for Parquet (parquet_reader): the replay, the inference and the HDFS loader's
readers see the same values whatever the format. A timestamp is an instant in Avro; its text
is the one its field's format writes (the header's TIME_FORMATS, which the generator puts
there: epoch_ms, epoch_s, a strftime format or iso), ISO-8601 where the file does not say.

fastavro turns logical types into Python objects (datetime, Decimal, UUID) one value at a
time; the records are read instead by the schema with its logical types taken off (the same
bytes: a logical type only annotates its plain type), so timestamps come as longs, decimals
as their bytes and uuids as strings, and the conversions run on whole columns in Arrow.
A record's fields are those an extract holds (`KINDS`); a file of another schema is refused
with one line naming the field. Rows have no lines in Avro: a bad row is named by its number.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.avro_container import MAGIC, SYNC_SIZE, TIME_FORMATS
from services.common.avro_container import header as container_header
from services.extracts.rows import (
    ExtractError,
    ExtractRows,
    TextColumn,
    blank_rows,
    column_names,
    trim,
)
from services.extracts.text import float_text, geo_text, timestamp_text
from services.schema import EPOCH_MS, EPOCH_S

ROWS_PER_BATCH = 16_384  # a batch is a list of dicts first: ~20 MB of Python objects
GEO = ("lat", "lon")
KINDS = "string, uuid, long, double, boolean, timestamp-millis, decimal (bytes) and {lat, lon}"
# The file header after its magic, as the spec defines it: an Avro record itself.
HEADER = {"type": "record", "name": "org.apache.avro.file.Header", "fields": [
    {"name": "meta", "type": {"type": "map", "values": "bytes"}},
    {"name": "sync", "type": {"type": "fixed", "name": "Sync", "size": SYNC_SIZE}}]}
PLAIN = {"string": pa.string(), "long": pa.int64(), "double": pa.float64(),
         "boolean": pa.bool_(), "bytes": pa.binary()}


class AvroShape:
    """A field of the file: its Arrow type as read (logical types off) and how it is text."""

    def __init__(self, path: Path, field: dict[str, Any], formats: dict[str, str]):
        self.name = field["name"]
        kind = field["type"]
        if isinstance(kind, list):  # a union: null and one type, in either order
            others = [k for k in kind if k != "null"]
            if len(others) != 1 or len(kind) != 2:
                raise _foreign(path, self.name, kind)
            kind = others[0]
        self.plain, self.logical, self.scale = _plain(path, self.name, kind)
        self.time_format = formats.get(self.name, "iso")

    @property
    def arrow(self) -> pa.DataType:
        if self.plain == "geo":
            return pa.struct([(n, pa.float64()) for n in GEO])
        return PLAIN[self.plain]

    def text(self, values: pa.Array) -> pa.Array:
        if self.logical == "timestamp-millis":
            return time_text(values, self.time_format)
        if self.logical == "decimal":
            return float_text(decimal_values(values, self.scale))
        if self.plain == "geo":
            return geo_text(values, as_object=True)
        if self.plain == "boolean":
            return pc.if_else(values, "true", "false")
        if self.plain == "double":
            return float_text(values)
        return pc.cast(values, pa.string())


def _plain(path: Path, name: str, kind: Any) -> tuple[str, str | None, int]:
    """(plain type, logical type, decimal scale) of one of the types an extract holds."""
    if isinstance(kind, str) and kind in PLAIN and kind != "bytes":
        return kind, None, 0
    if isinstance(kind, dict):
        logical = kind.get("logicalType")
        if logical is None and kind.get("type") in PLAIN and kind["type"] != "bytes":
            return kind["type"], None, 0
        if (kind.get("type"), logical) in (("string", "uuid"), ("long", "timestamp-millis")):
            return kind["type"], logical, 0
        if kind.get("type") == "bytes" and logical == "decimal":
            return "bytes", logical, int(kind.get("scale", 0))
        if kind.get("type") == "record" and [
                (f["name"], f["type"]) for f in kind.get("fields", [])] == [
                (n, "double") for n in GEO]:
            return "geo", None, 0
    raise _foreign(path, name, kind)


def _foreign(path: Path, name: str, kind: Any) -> ExtractError:
    return ExtractError(f"{path}: field {name!r} is of Avro type {json.dumps(kind)}, not one "
                        f"an extract holds ({KINDS}, each optionally nullable)")


def _without_logical_types(kind: Any) -> Any:
    if isinstance(kind, list):
        return [_without_logical_types(k) for k in kind]
    if isinstance(kind, dict):
        if kind.get("type") == "record":
            return {**kind, "fields": [{**f, "type": _without_logical_types(f["type"])}
                                       for f in kind["fields"]]}
        if "logicalType" in kind:
            return kind["type"]
    return kind


class _Joined(io.RawIOBase):
    """A new header, then the file from where its own header ended."""

    def __init__(self, head: bytes, rest: io.BufferedIOBase):
        self.head, self.rest = io.BytesIO(head), rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.head.read(size)
        if size < 0:
            return data + self.rest.read()
        return data + self.rest.read(size - len(data)) if len(data) < size else data


def decimal_values(values: pa.Array, scale: int) -> pa.Array:
    """Avro's decimal bytes (big-endian two's complement, up to 8 bytes) as float64: the
    unscaled integer divided by 10**scale, correctly rounded, which is the double nearest the
    decimal, as the generator's rounded value is."""
    filled = pc.fill_null(values, b"\x00")
    lengths = pc.binary_length(filled).to_numpy(zero_copy_only=False).astype(np.int64)
    if len(lengths) and (lengths.max() > 8 or lengths.min() < 1):
        raise ValueError("a decimal of more than 8 bytes (or none), beyond any extract's")
    offsets = np.frombuffer(filled.buffers()[1], np.int32)[filled.offset:][:len(filled) + 1]
    data = np.frombuffer(filled.buffers()[2], np.uint8)
    column = np.arange(8)
    pad = 8 - lengths[:, None]
    source = np.clip(offsets[:-1, None] + column - pad, 0, max(len(data) - 1, 0))
    octets = data[source] if len(data) else np.zeros((len(lengths), 8), np.uint8)
    sign = np.where(octets[np.arange(len(lengths)), pad[:, 0]] >= 0x80, 0xFF, 0)
    octets = np.where(column < pad, sign[:, None], octets).astype(np.uint8)
    unscaled = np.ascontiguousarray(octets).view(">i8")[:, 0].astype(np.int64)
    out = unscaled / float(10 ** scale)
    return pa.array(out, pa.float64(), mask=values.is_null().to_numpy(zero_copy_only=False))


def time_text(millis: pa.Array, fmt: str) -> pa.Array:
    """Epoch milliseconds as the text their field's format writes."""
    if fmt == EPOCH_MS:
        return pc.cast(millis, pa.string())
    if fmt == EPOCH_S:
        return pc.cast(pc.floor(pc.divide(pc.cast(millis, pa.float64()), 1000.0)).cast(
            pa.int64()), pa.string())
    moments = pc.cast(millis, pa.timestamp("ms"))
    if fmt == "iso":
        return timestamp_text(moments)
    with contextlib.suppress(pa.ArrowInvalid):  # whole seconds: %S without a fraction
        moments = pc.cast(moments, pa.timestamp("s"))
    return pc.strftime(moments, format=fmt)


def _open(path: Path, source: io.BufferedIOBase) -> tuple[Iterator[dict], list[AvroShape]]:
    """The records (logical types off) and the fields' shapes of an opened file: its header
    read as the record the spec defines it to be, the rest by fastavro behind a new header."""
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        raise ExtractError(f"{path}: not an Avro container file (" + (
            f"it starts {magic!r}, not {MAGIC!r})" if magic else "it is empty)"))
    try:
        head = fastavro.schemaless_reader(source, HEADER, None)
    except (ValueError, EOFError, StopIteration, UnicodeDecodeError) as exc:
        raise ExtractError(f"{path}: its Avro header cannot be read ({exc or 'too short'})"
                           ) from None
    meta = head["meta"]
    try:
        schema = json.loads(meta["avro.schema"])
        formats = json.loads(meta.get(TIME_FORMATS, b"{}"))
        codec = meta.get("avro.codec", b"null").decode()
    except (KeyError, ValueError) as exc:
        raise ExtractError(f"{path}: its Avro header has no readable schema ({exc})") from None
    if not isinstance(formats, dict) or not all(isinstance(v, str) for v in formats.values()):
        raise ExtractError(f"{path}: its header's {TIME_FORMATS} is not an object of formats")
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise ExtractError(f"{path}: its Avro schema is {json.dumps(schema)[:80]}, not a "
                           "record of the fields an extract holds")
    shapes = [AvroShape(path, f, formats) for f in schema["fields"]]
    plain = {**schema, "fields": [{"name": f["name"], "type": _without_logical_types(f["type"])}
                                  for f in schema["fields"]]}
    try:
        return fastavro.reader(_Joined(container_header(plain, head["sync"], codec), source)), \
            shapes
    except ValueError as exc:  # a codec fastavro lacks, a schema it refuses
        raise ExtractError(f"{path}: not readable as Avro ({exc})") from None


def avro_batches(path: Path, rows_per_batch: int = ROWS_PER_BATCH) -> Iterator[ExtractRows]:
    """The file's non-blank rows, a batch at a time."""
    with open(path, "rb") as source:
        records, shapes = _open(path, source)
        names = column_names(path, [s.name for s in shapes])
        kind = pa.struct([(s.name, s.arrow) for s in shapes])
        first = 0
        while True:
            try:
                chunk = list(itertools.islice(records, rows_per_batch))
            except (ValueError, EOFError, StopIteration, zlib.error) as exc:
                raise ExtractError(f"{path}: a data block after row {first} cannot be read as "
                                   f"Avro ({exc or 'the file ends inside it'})") from None
            if not chunk:
                return
            yield _batch(path, names, shapes, pa.array(chunk, kind), first)
            first += len(chunk)


def _batch(path: Path, names: list[str], shapes: list[AvroShape], rows: pa.StructArray,
           first: int) -> ExtractRows:
    columns = {}
    for name, shape, values in zip(names, shapes, rows.flatten(), strict=True):
        try:
            columns[name] = TextColumn(trim(pa.chunked_array([shape.text(values)])))
        except (ValueError, pa.ArrowException) as exc:
            raise ExtractError(f"{path}: field {name!r} in rows {first + 1} to "
                               f"{first + len(rows)}: {exc}") from None
    extract = ExtractRows(path, columns, len(rows),
                          lambda r: first + 1 + np.asarray(r, dtype=np.int64))
    extract.drop(blank_rows(extract), None)
    return extract

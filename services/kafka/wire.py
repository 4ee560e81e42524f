"""Events in Confluent's wire format (services.common.wire_format): a zero byte, the schema
id (4 bytes, big-endian), then Avro binary (`--format avro`) or the JSON text itself
(`--format json-schema`).

The events are rendered as JSON first (services.kafka.events, the one rendering), then a
slice of them becomes Avro a block at a time: Arrow reads the slice's JSON into typed columns
(the event schema's types), times are converted column by column, and each field's Avro
bytes are made for the whole slice (services.common.avro_columns; fastavro, which writes a
record per call, is the tests' reference and the consumers' reader).

Poison messages (faults' malformed kinds) cannot be Avro, so in Avro they are sent as they
are in JSON, unframed: their first byte is not the magic zero, which is how a consumer tells
them from events before decoding (an empty message has no first byte). In JSON Schema they
are framed like events, so a consumer that strips the header reads the same malformed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from services.common.avro_columns import encode_records
from services.common.schema_registry import SchemaRegistry, value_subject
from services.common.wire_format import header
from services.kafka.events import Events, render
from services.schema import Dataset, EventField, avro_schema, event_fields, json_schema

FORMATS = ("json", "avro", "json-schema")
AHEAD_PIECE = 65_536  # events encoded at once ahead of sending: bounds the JSON copy
COMPATIBILITY = "BACKWARD"
MS = pa.timestamp("ms")
READ_AS = {"string": pa.string(), "uuid": pa.string(), "long": pa.int64(),
           "double": pa.float64(), "decimal": pa.float64(), "boolean": pa.bool_(),
           "geo": pa.struct([("lat", pa.float64()), ("lon", pa.float64())])}

Encode = Callable[[Sequence[bytes]], list[bytes]]


class EncodeError(ValueError):
    """An event does not fit the registered schema: the run stops, saying which and why."""


@dataclass(frozen=True)
class WireFormat:
    """How events and poison messages become bytes for one run: `encode` turns a slice of
    JSON events into messages; `poison` frames a malformed one (or leaves it bare)."""

    name: str
    schema_id: int
    encode: Encode
    poison: Callable[[bytes], bytes]


def register(registry: SchemaRegistry, topic: str, dataset: Dataset, fmt: str) -> int:
    """The id of the events' schema under `<topic>-value` (registered, or found), with the
    subject's compatibility set to BACKWARD first; RegistryError says why not."""
    subject = value_subject(topic)
    if fmt == "avro":
        text, kind = json.dumps(avro_schema(dataset), separators=(",", ":")), "AVRO"
    else:
        text, kind = json.dumps(json_schema(dataset), separators=(",", ":")), "JSON"
    registry.set_compatibility(subject, COMPATIBILITY)
    return registry.register(subject, text, kind)


def wire_format(fmt: str, registry: SchemaRegistry, topic: str, dataset: Dataset) -> WireFormat:
    """The run's wire format, its schema registered; RegistryError when that fails."""
    if fmt not in FORMATS[1:]:
        raise ValueError(f"format {fmt!r}: accepted {list(FORMATS[1:])}")
    schema_id = register(registry, topic, dataset, fmt)
    framed = header(schema_id)
    if fmt == "json-schema":
        def frame(values: Sequence[bytes]) -> list[bytes]:
            return [framed + value for value in values]

        return WireFormat(fmt, schema_id, frame, lambda message: framed + message)
    return WireFormat(fmt, schema_id, AvroEncoder(dataset, framed), lambda message: message)


class AvroEncoder:
    """JSON events -> framed Avro binary, a slice at a time, column by column."""

    def __init__(self, dataset: Dataset, framed: bytes) -> None:
        self.fields = event_fields(dataset)
        self.framed = framed
        read_schema = pa.schema([(f.name, read_type(f)) for f in self.fields])
        self.options = pajson.ParseOptions(explicit_schema=read_schema,
                                           unexpected_field_behavior="ignore")
        self.read_options = pajson.ReadOptions(use_threads=False, block_size=1 << 24)

    def __call__(self, values: Sequence[bytes]) -> list[bytes]:
        if not values:
            return []
        table = self.table(values)
        columns = [avro_column(f, table.column(f.name)).combine_chunks() for f in self.fields]
        return encode_records(self.fields, columns, self.framed)

    def table(self, values: Sequence[bytes]) -> pa.Table:
        """The events as typed columns; EncodeError when one does not fit the schema."""
        try:
            table = pajson.read_json(pa.BufferReader(b"\n".join(values)),
                                     parse_options=self.options, read_options=self.read_options)
        except pa.ArrowInvalid as exc:
            raise EncodeError(f"events do not fit the Avro schema's types: {exc}") from None
        for field in self.fields:
            column = table.column(field.name)
            if not field.nullable and column.null_count:
                row = pc.index(pc.is_null(column), True).as_py()
                raise EncodeError(f"event {values[row][:200]!r} does not fit the Avro schema: "
                                  f"{field.name} is missing or null, and the schema file says "
                                  "it never is")
        return table


def read_type(field: EventField) -> pa.DataType:
    """The Arrow type a field's JSON values are read as (times: text, or epoch numbers)."""
    if field.kind == "timestamp":
        return pa.int64() if field.time_format in ("epoch_ms", "epoch_s") else pa.string()
    return READ_AS[field.kind]


def avro_column(field: EventField, column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column read from JSON, as Avro writes it: times as epoch milliseconds."""
    try:
        if field.kind == "timestamp":
            return pc.cast(_times(field, column), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise EncodeError(f"field {field.name}: {exc}") from None
    return column


def _times(field: EventField, column: pa.ChunkedArray) -> pa.ChunkedArray:
    if field.time_format == "epoch_ms":
        return pc.cast(column, MS)
    if field.time_format == "epoch_s":
        return pc.cast(pc.multiply(column, 1000), MS)
    if field.time_format == "iso":
        return pc.cast(column, MS)
    return pc.strptime(column, format=field.time_format, unit="ms")


def ahead(events: Events, wire: WireFormat, piece: int = AHEAD_PIECE) -> pa.Array | None:
    """Every event's message, made before sending starts (as JSON events are rendered ahead,
    at loading): None when some value is stamped at send time (live events, rows without a
    time), which only the send loop knows."""
    if any(slot.known is None or slot.known.null_count for slot in events.slots):
        return None
    messages: list[bytes] = []
    for start in range(0, events.size, piece):
        _, values = render(events, slice(start, min(start + piece, events.size)), 0)
        messages += wire.encode(values)
    return pa.array(messages, pa.binary())

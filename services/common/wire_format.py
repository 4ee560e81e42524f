"""Confluent's wire format, both ways: a zero byte, the schema id (4 bytes, big-endian), then
the payload (Avro binary, or JSON text for JSON Schema).

The producer writes the header (services.kafka.wire); a consumer reads a message back into the
JSON text of the same event (`WireDecoder`), so that everything downstream of it (the
streaming job's intake: services.spark.stream_wire) reads events one way whatever the
format. A message without the header (a poison message, which the producer sends bare) is
passed on as it is, for the JSON rules to judge; one whose schema id the registry does not
know, or whose payload does not decode with that schema, is `unknown` with the reason.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import fastavro

from services.common.schema_registry import RegistryError, SchemaRegistry

MAGIC = 0
NOT_FOUND = 404
HEADER = struct.Struct(">bI")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MILLISECOND, SECOND = timedelta(milliseconds=1), timedelta(seconds=1)


def header(schema_id: int) -> bytes:
    return HEADER.pack(MAGIC, schema_id)


def read_header(message: bytes) -> int | None:
    """The schema id of a message in the wire format, or None when it is not in it."""
    if len(message) < HEADER.size or message[0] != MAGIC:
        return None
    return HEADER.unpack_from(message)[1]


def time_text(value: datetime, time_format: str) -> Any:
    """A decoded timestamp as the JSON event writes it in the field's format."""
    value = value.astimezone(timezone.utc)
    if time_format == "epoch_ms":
        return (value - EPOCH) // MILLISECOND
    if time_format == "epoch_s":
        return (value - EPOCH) // SECOND
    if time_format == "iso":
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{value.microsecond // 1000:03d}" if value.microsecond else text
    return value.strftime(time_format)


def json_event(record: Mapping[str, Any], time_formats: Mapping[str, str]) -> bytes:
    """An Avro record (fastavro's values) as the JSON text the JSON format sends."""
    out = {}
    for name, value in record.items():
        if isinstance(value, datetime):
            value = time_text(value, time_formats.get(name, "iso"))
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, UUID):
            value = str(value)
        out[name] = value
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


class WireDecoder:
    """Messages -> (JSON payload, why unknown): one per process, writer schemas cached by id.

    A registry that does not answer raises RegistryError (the consumer should stop and be
    restarted, not quarantine good events); an id it does not have is `unknown`."""

    def __init__(self, registry: SchemaRegistry, time_formats: Mapping[str, str]) -> None:
        self.registry = registry
        self.time_formats = dict(time_formats)
        self._schemas: dict[int, tuple[str, Any] | None] = {}

    def writer_schema(self, schema_id: int) -> tuple[str, Any] | None:
        """(schema type, parsed Avro schema or None for JSON) of `schema_id`; None when the
        registry has no such id."""
        if schema_id not in self._schemas:
            try:
                found = self.registry.schema(schema_id)
            except RegistryError as exc:
                if exc.status != NOT_FOUND:
                    raise
                self._schemas[schema_id] = None
            else:
                parsed = fastavro.parse_schema(json.loads(found.text)) \
                    if found.schema_type == "AVRO" else None
                self._schemas[schema_id] = (found.schema_type, parsed)
        return self._schemas[schema_id]

    def decode(self, message: bytes | None) -> tuple[bytes | None, str | None]:
        """(the event as JSON text, None), or (None, why it cannot be read)."""
        schema_id = None if message is None else read_header(message)
        if schema_id is None:
            return message, None  # bare: JSON rules judge it (poison, or a JSON producer)
        writer = self.writer_schema(schema_id)
        if writer is None:
            return None, f"schema id {schema_id} is not in the registry"
        kind, parsed = writer
        if kind != "AVRO":
            return message[HEADER.size:], None
        try:
            record = fastavro.schemaless_reader(io.BytesIO(message[HEADER.size:]), parsed, None)
        except Exception as exc:  # any decoding failure: the bytes are not this schema's
            return None, f"not Avro of schema id {schema_id}: {type(exc).__name__}"
        return json_event(record, self.time_formats), None

"""Confluent's wire format without a broker: the header, the Avro encoder a slice at a time
(byte for byte what fastavro writes for the same record), its conversions of times and
money, its one-line errors, and the settings that choose a format."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal

import fastavro
import pyarrow as pa
import pytest

from services.common.cli import UsageError
from services.common.schema_registry import RegisteredSchema, RegistryError
from services.common.wire_format import WireDecoder, header, read_header
from services.kafka.events import Events, render
from services.kafka.live import LiveSource
from services.kafka.settings import parse_settings
from services.kafka.wire import AvroEncoder, EncodeError, WireFormat, ahead
from services.schema import avro_schema, event_fields, load_schema, parse_schema
from tests.schema.documents import schema
from tests.schemas import CARD

UTC = timezone.utc
DATASET = parse_schema(schema(
    {"name": "n", "type": "int", "null_prob": 0.2},
    {"name": "amount", "type": "float", "decimals": 2},
    {"name": "ms", "type": "datetime", "format": "epoch_ms"},
    {"name": "s", "type": "datetime", "format": "epoch_s"},
    {"name": "local", "type": "datetime", "format": "%d/%m/%Y %H:%M"},
    {"name": "at", "type": "datetime"},
    {"name": "where", "type": "geo"},
    {"name": "ok", "type": "bool"},
    analysis={"currency": "EUR", "numeric_fields": ["amount"]}), source="t.json")
EVENT = {"n": None, "amount": 12.5, "ms": 1_700_000_000_123, "s": 1_700_000_000,
         "local": "01/02/2025 10:11", "at": "2025-03-04T05:06:07", "where": {"lat": 1.5,
                                                                             "lon": -2.25},
         "ok": True, "event_time": "2025-03-04T05:06:07.250"}


def payload(**changes) -> bytes:
    return json.dumps({**EVENT, **changes}).encode()


def decode(message: bytes, dataset=DATASET) -> dict:
    assert read_header(message) == 7
    parsed = fastavro.parse_schema(avro_schema(dataset))
    return fastavro.schemaless_reader(io.BytesIO(message[5:]), parsed, None)


def test_header_is_a_zero_byte_and_a_big_endian_id() -> None:
    assert header(7) == b"\x00\x00\x00\x00\x07"
    assert header(258) == b"\x00\x00\x00\x01\x02"
    assert read_header(header(258) + b"x") == 258
    assert read_header(b"") is None
    assert read_header(b'{"a":1}') is None
    assert read_header(b"\x00\x00\x01") is None  # too short for an id


def test_times_money_geo_and_nulls_convert_column_by_column() -> None:
    (message,) = AvroEncoder(DATASET, header(7))([payload()])
    assert decode(message) == {
        "n": None, "amount": Decimal("12.50"),
        "ms": datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC),
        "s": datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        "local": datetime(2025, 2, 1, 10, 11, tzinfo=UTC),
        "at": datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC), "where": {"lat": 1.5, "lon": -2.25},
        "ok": True, "event_time": datetime(2025, 3, 4, 5, 6, 7, 250000, tzinfo=UTC)}


def test_a_slice_is_byte_for_byte_what_fastavro_writes_per_record() -> None:
    values = [payload(n=i, amount=i / 4, ok=i % 2 == 0) for i in range(50)]
    messages = AvroEncoder(DATASET, header(7))(values)
    parsed = fastavro.parse_schema(avro_schema(DATASET))
    for message in messages:
        record = decode(message)
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, record)
        assert message == header(7) + buffer.getvalue()
    assert [decode(m)["n"] for m in messages] == list(range(50))
    assert AvroEncoder(DATASET, header(7))([]) == []


def test_live_card_events_decode_into_the_json_they_were_rendered_from() -> None:
    dataset = load_schema(CARD)
    chunk = next(iter(LiveSource(dataset, 3, "event_id", None, 3).chunks(1_700_000_000)))
    _, values = render(chunk.events, slice(0, 300), 1_700_000_000)
    messages = AvroEncoder(dataset, header(7))(values)
    for value, message in zip(values, messages, strict=True):
        record, event = decode(message, dataset), json.loads(value)
        assert str(record["event_id"]) == event["event_id"]
        assert record["amount"] == Decimal(str(event["amount"])).quantize(Decimal("0.01"))
        assert record["event_time"] == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
        assert {k: record[k] for k in ("card_id", "city", "is_chip", "key")} == \
            {k: event[k] for k in ("card_id", "city", "is_chip", "key")}


def test_an_event_that_does_not_fit_stops_with_one_line() -> None:
    encoder = AvroEncoder(DATASET, header(7))
    with pytest.raises(EncodeError, match=r"does not fit the Avro schema: ok is missing or "
                                          r"null") as caught:
        encoder([payload(), payload(ok=None)])  # ok is not nullable
    assert '"ok": null' in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(EncodeError, match=r"^field local: "):
        encoder([payload(local="yesterday")])
    with pytest.raises(EncodeError, match=r"types"):
        encoder([payload(n="twelve")])


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "avro"], "--format avro derives the events' schema from the schema file"),
    (["--format", "json-schema", "--config", "x.json", "--resume"],
     "--format json-schema cannot resume"),
    (["--format", "avro", "--config", "x.json", "--registry-url", "registry:8081"],
     r"--registry-url / SCHEMA_REGISTRY_URL must be an http\(s\) URL"),
])
def test_settings_refuse_what_a_format_cannot_do(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_settings(args, {})


def test_format_and_registry_come_from_the_environment() -> None:
    settings = parse_settings(["--config", "x.json"], {
        "EVENT_FORMAT": "avro", "SCHEMA_REGISTRY_URL": "http://r:1/apis/ccompat/v7/"})
    assert (settings.event_format, settings.registry_url, settings.framed) == \
        ("avro", "http://r:1/apis/ccompat/v7", True)
    assert not parse_settings([], {}).framed
    assert parse_settings([], {}).registry_url == "http://registry:8081/apis/ccompat/v7"


class FakeRegistry:
    """The registry's answers by id, and how often each id was asked for."""

    def __init__(self, schemas: dict[int, RegisteredSchema]) -> None:
        self.schemas, self.asked = schemas, Counter()

    def schema(self, schema_id: int) -> RegisteredSchema:
        self.asked[schema_id] += 1
        if schema_id == 500:
            raise RegistryError("no schema registry answered", None)
        if schema_id not in self.schemas:
            raise RegistryError("refused (HTTP 404)", 404)
        return self.schemas[schema_id]


def test_the_consumer_side_reads_back_the_json_that_was_encoded() -> None:
    registry = FakeRegistry({7: RegisteredSchema(7, "AVRO", json.dumps(avro_schema(DATASET))),
                             8: RegisteredSchema(8, "JSON", "{}")})
    formats = {f.name: f.time_format for f in event_fields(DATASET) if f.kind == "timestamp"}
    decoder = WireDecoder(registry, formats)
    values = [payload(), payload(n=3, amount=0.1, at="2025-03-04T05:06:07.5")]
    for value, message in zip(values, AvroEncoder(DATASET, header(7))(values), strict=True):
        text, why = decoder.decode(message)
        expected = json.loads(value)
        expected["at"] = expected["at"].replace(".5", ".500")  # milliseconds, as written
        assert (json.loads(text), why) == (expected, None)
    assert registry.asked[7] == 1  # the writer schema is fetched once
    assert decoder.decode(header(8) + b'{"a":1}') == (b'{"a":1}', None)
    assert decoder.decode(b'{"bare":1}') == (b'{"bare":1}', None)  # poison: for the JSON rules
    assert decoder.decode(b"") == (b"", None)
    assert decoder.decode(None) == (None, None)
    assert decoder.decode(header(9) + b"\x02") == (None, "schema id 9 is not in the registry")
    assert decoder.decode(header(9) + b"\x02")[1] and registry.asked[9] == 1
    assert decoder.decode(header(7) + b"\x80")[1].startswith("not Avro of schema id 7")
    with pytest.raises(RegistryError):  # a registry that does not answer stops the consumer
        decoder.decode(header(500) + b"\x02")


def test_events_are_encoded_ahead_only_when_no_value_waits_for_the_send_time() -> None:
    dataset = load_schema(CARD)
    live = next(iter(LiveSource(dataset, 3, "event_id", None, 3).chunks(1_700_000_000)))
    wire = WireFormat("avro", 7, AvroEncoder(dataset, header(7)), lambda m: m)
    assert ahead(live.events, wire) is None  # event_time is stamped when sent
    _, values = render(live.events, slice(0, 100), 1_700_000_000)
    known = Events((pa.array([v.decode() for v in values]),), (), None, 100)
    encoded = ahead(known, wire, piece=30)
    assert encoded.to_pylist() == wire.encode(values)

"""Avro and JSON Schema events through the real schema registry and broker, with both
clients: a consumer written only with fastavro and the registry's REST API decodes every
message into the same events the JSON format sends; poison stays possible; a bad registry
or an incompatible schema stops the producer in one line with nothing sent."""

from __future__ import annotations

import io
import json
import struct
import urllib.request
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import fastavro
import pytest

from services.common.schema_registry import SchemaRegistry
from services.infra import net
from services.infra.kafka import KafkaDetails
from services.infra.registry import RegistryDetails
from services.kafka.cli import main
from tests.kafka.test_broker import create_topic, produce
from tests.schemas import CARD, generate
from tests.topics import read_topic, unique_topic

pytestmark = [pytest.mark.kafka, pytest.mark.registry, pytest.mark.slow]

ROWS = 2000


def fetch_schema(url: str, schema_id: int) -> dict:
    """The registry's REST API, read by hand: GET /schemas/ids/{id}."""
    with urllib.request.urlopen(f"{url}/schemas/ids/{schema_id}", timeout=10) as answer:
        return json.loads(answer.read())


def decode_avro(url: str, messages: list[bytes]) -> list[dict]:
    """A consumer of Confluent's wire format with fastavro alone."""
    schemas: dict[int, object] = {}
    out = []
    for message in messages:
        magic, schema_id = struct.unpack(">bI", message[:5])
        assert magic == 0
        if schema_id not in schemas:
            schemas[schema_id] = fastavro.parse_schema(
                json.loads(fetch_schema(url, schema_id)["schema"]))
        out.append(fastavro.schemaless_reader(io.BytesIO(message[5:]), schemas[schema_id],
                                              None))
    return out


def as_json(record: dict) -> dict:
    """An Avro record as the JSON format writes the same event."""
    def value(v):
        if isinstance(v, datetime):
            return v.replace(tzinfo=None).isoformat(timespec="seconds")
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, UUID):
            return str(v)
        return v
    return {k: value(v) for k, v in record.items()}


def canonical(rows: list[dict]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


def send(kafka: KafkaDetails, registry: RegistryDetails | None, folder, fmt: str,
         *extra: str) -> tuple[str, int, dict, str]:
    topic = unique_topic(f"wire-{fmt}")
    create_topic(kafka.bootstrap_servers, topic, 2)
    args = ["--input-dir", str(folder), "--rate", "0", "--config", str(CARD), "--format", fmt]
    if registry is not None:
        args += ["--registry-url", registry.url]
    code, totals, out = produce(kafka.bootstrap_servers, topic, *args, *extra)
    return topic, code, totals, out


@pytest.mark.parametrize("client", ["kafka-python", "confluent"])
def test_avro_events_decode_with_fastavro_into_the_json_events(
        kafka_broker: KafkaDetails, schema_registry: RegistryDetails, tmp_path, client) -> None:
    generate(CARD, tmp_path, ROWS, seed=11)
    topic, code, totals, out = send(kafka_broker, schema_registry, tmp_path, "avro",
                                    "--client", client)
    assert code == 0, out
    assert totals["delivered"] == ROWS
    json_topic, code, _, _ = send(kafka_broker, None, tmp_path, "json", "--client", client)
    assert code == 0
    messages = [r.value for r in read_topic(kafka_broker.bootstrap_servers, topic)]
    decoded = decode_avro(schema_registry.url, messages)
    json_rows = [json.loads(r.value)
                 for r in read_topic(kafka_broker.bootstrap_servers, json_topic)]
    assert canonical([as_json(r) for r in decoded]) == canonical(json_rows)
    assert isinstance(decoded[0]["amount"], Decimal)  # money as a decimal
    assert decoded[0]["event_time"].tzinfo is not None  # timestamp-millis, UTC
    assert sum(len(m) for m in messages) < 0.6 * sum(len(json.dumps(r)) for r in json_rows)
    subject = SchemaRegistry(schema_registry.url)
    assert subject.compatibility(f"{topic}-value") == "BACKWARD"


def test_json_schema_events_are_the_json_events_behind_the_header(
        kafka_broker: KafkaDetails, schema_registry: RegistryDetails, tmp_path) -> None:
    generate(CARD, tmp_path, 300, seed=3)
    topic, code, _, out = send(kafka_broker, schema_registry, tmp_path, "json-schema")
    assert code == 0, out
    json_topic, _, _, _ = send(kafka_broker, None, tmp_path, "json")
    messages = [r.value for r in read_topic(kafka_broker.bootstrap_servers, topic)]
    ids = {struct.unpack(">bI", m[:5]) for m in messages}
    assert len(ids) == 1
    (magic, schema_id), = ids
    registered = fetch_schema(schema_registry.url, schema_id)
    assert magic == 0 and registered["schemaType"] == "JSON"
    assert json.loads(registered["schema"])["properties"]["amount"] == {"type": "number"}
    json_messages = [r.value for r in read_topic(kafka_broker.bootstrap_servers, json_topic)]
    assert sorted(m[5:] for m in messages) == sorted(json_messages)


def test_the_same_schema_is_found_again_not_registered_twice(
        kafka_broker: KafkaDetails, schema_registry: RegistryDetails, tmp_path) -> None:
    generate(CARD, tmp_path, 50, seed=2)
    topic = unique_topic("wire-again")
    args = ["--input-dir", str(tmp_path), "--rate", "0", "--config", str(CARD), "--format",
            "avro", "--registry-url", schema_registry.url]
    assert produce(kafka_broker.bootstrap_servers, topic, *args)[0] == 0
    assert produce(kafka_broker.bootstrap_servers, topic, *args)[0] == 0
    assert SchemaRegistry(schema_registry.url).versions(f"{topic}-value") == [1]
    ids = {m.value[:5] for m in read_topic(kafka_broker.bootstrap_servers, topic)}
    assert len(ids) == 1


def test_avro_poison_is_sent_bare_beside_framed_events(
        kafka_broker: KafkaDetails, schema_registry: RegistryDetails, tmp_path) -> None:
    generate(CARD, tmp_path, 500, seed=4)
    faults = json.dumps({"malformed": {"p": 0.05, "kinds": ["not_json", "empty", "bad_time"]}})
    topic, code, totals, out = send(kafka_broker, schema_registry, tmp_path, "avro",
                                    "--faults", faults, "--seed", "9")
    assert code == 0, out
    records = read_topic(kafka_broker.bootstrap_servers, topic)
    poison = [r for r in records if r.key.startswith(b"poison:")]
    events = [r for r in records if not r.key.startswith(b"poison:")]
    assert len(events) == 500 and len(poison) == totals["sent"] - 500 > 5
    assert all(not p.value or p.value[0] != 0 for p in poison)  # not in the wire format
    assert {bool(p.value) for p in poison} == {True, False}  # empty ones, and JSON text
    assert len(decode_avro(schema_registry.url, [e.value for e in events])) == 500


def test_no_registry_is_one_line_and_nothing_is_sent(
        kafka_broker: KafkaDetails, tmp_path, capsys) -> None:
    generate(CARD, tmp_path, 20, seed=1)
    url = f"http://127.0.0.1:{net.free_ports(1)[0]}/apis/ccompat/v7"
    topic = unique_topic("wire-no-registry")
    create_topic(kafka_broker.bootstrap_servers, topic, 1)
    code = main(["--bootstrap-servers", kafka_broker.bootstrap_servers, "--topic", topic,
                 "--input-dir", str(tmp_path), "--config", str(CARD), "--format", "avro",
                 "--registry-url", url])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert [line for line in err if line.startswith("error:")] == err[-1:]
    assert err[-1].startswith(f"error: no schema registry answered at {url}")
    assert err[-1].endswith("nothing was sent") and "Traceback" not in "\n".join(err)
    assert read_topic(kafka_broker.bootstrap_servers, topic) == []


def test_an_incompatible_schema_is_refused_with_the_registrys_reason(
        kafka_broker: KafkaDetails, schema_registry: RegistryDetails, tmp_path,
        capsys) -> None:
    generate(CARD, tmp_path, 20, seed=1)
    topic = unique_topic("wire-incompatible")
    create_topic(kafka_broker.bootstrap_servers, topic, 1)
    registry = SchemaRegistry(schema_registry.url)
    registry.set_compatibility(f"{topic}-value", "BACKWARD")
    registry.register(f"{topic}-value", json.dumps(
        {"type": "record", "name": "Card_transactions", "namespace": "sdp.events",
         "fields": [{"name": "amount", "type": "string"}]}))
    code = main(["--bootstrap-servers", kafka_broker.bootstrap_servers, "--topic", topic,
                 "--input-dir", str(tmp_path), "--config", str(CARD), "--format", "avro",
                 "--registry-url", schema_registry.url])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 1
    assert err.startswith(f"error: schema registry at {schema_registry.url} refused "
                          f"registering a schema under {topic}-value (HTTP 409)")
    assert "Incompatible artifact" in err and err.endswith("nothing was sent")
    assert read_topic(kafka_broker.bootstrap_servers, topic) == []
    assert registry.versions(f"{topic}-value") == [1]


def test_live_events_are_encoded_as_they_are_stamped(
        kafka_broker: KafkaDetails, schema_registry: RegistryDetails, tmp_path) -> None:
    topic = unique_topic("wire-live")
    code, totals, out = produce(kafka_broker.bootstrap_servers, topic, "--generate",
                                "--config", str(CARD), "--rate", "0", "--max-events", "500",
                                "--seed", "4", "--format", "avro", "--registry-url",
                                schema_registry.url)
    assert code == 0 and totals["delivered"] == 500, out
    records = read_topic(kafka_broker.bootstrap_servers, topic)
    decoded = decode_avro(schema_registry.url, [r.value for r in records])
    assert len({r["event_id"] for r in decoded}) == 500
    assert all(r.key == str(d["event_id"]).encode() for r, d in zip(records, decoded,
                                                                     strict=True))
    ages = [datetime.now(d["event_time"].tzinfo) - d["event_time"] for d in decoded]
    assert all(0 <= age.total_seconds() < 600 for age in ages)  # stamped when sent

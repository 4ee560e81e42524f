"""The schema registry is a real Apicurio Registry: it starts, answers ready, registers
schemas under a subject with a compatibility level, gives them back by id, refuses an
incompatible one with its reason, and stops by pid. Its command line knows it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from services.common.cli import run
from services.common.schema_registry import (
    IncompatibleSchemaError,
    RegistryError,
    SchemaRegistry,
    value_subject,
)
from services.infra import cli, net, process
from services.infra.registry import Registry, RegistryDetails, registry_ready

pytestmark = [pytest.mark.registry, pytest.mark.slow]

RECORD = {"type": "record", "name": "Event",
          "fields": [{"name": "amount", "type": "double"}]}


def avro(fields: list[dict]) -> str:
    return json.dumps({**RECORD, "fields": fields})


def test_register_fetch_by_id_and_find_again(schema_registry: RegistryDetails) -> None:
    registry = SchemaRegistry(schema_registry.url)
    subject = value_subject(f"t-{uuid.uuid4().hex[:8]}")
    assert subject.endswith("-value")
    registry.set_compatibility(subject, "BACKWARD")
    assert registry.compatibility(subject) == "BACKWARD"
    first = registry.register(subject, json.dumps(RECORD))
    assert registry.register(subject, json.dumps(RECORD)) == first  # found, not added
    fetched = registry.schema(first)
    assert fetched.schema_type == "AVRO"
    assert json.loads(fetched.text) == RECORD
    assert registry.versions(subject) == [1]

    json_schema = json.dumps({"type": "object", "properties": {"amount": {"type": "number"}}})
    other = registry.register(value_subject(f"j-{uuid.uuid4().hex[:8]}"), json_schema, "JSON")
    assert other != first
    assert registry.schema(other).schema_type == "JSON"


def test_backward_accepts_a_defaulted_field_and_refuses_a_type_change(
        schema_registry: RegistryDetails) -> None:
    registry = SchemaRegistry(schema_registry.url)
    subject = value_subject(f"e-{uuid.uuid4().hex[:8]}")
    registry.set_compatibility(subject, "BACKWARD")
    registry.register(subject, json.dumps(RECORD))
    added = avro([*RECORD["fields"], {"name": "note", "type": "string", "default": ""}])
    registry.register(subject, added)
    with pytest.raises(IncompatibleSchemaError, match=r"HTTP 409.*not compatible"):
        registry.register(subject, avro([{"name": "amount", "type": "string"}]))
    assert registry.versions(subject) == [1, 2]


def test_unknown_id_and_no_registry_are_one_line_errors(
        schema_registry: RegistryDetails) -> None:
    with pytest.raises(RegistryError, match=r"schema id 987654 .*HTTP 404") as caught:
        SchemaRegistry(schema_registry.url).schema(987654)
    assert "\n" not in str(caught.value)
    port = net.free_ports(1)[0]
    with pytest.raises(RegistryError, match=rf"no schema registry answered at "
                                            rf"http://127.0.0.1:{port}/x .*SCHEMA_REGISTRY_URL"):
        SchemaRegistry(f"http://127.0.0.1:{port}/x", timeout=2).register("s", "{}")


def start_with_the_cli(state: Path, capsys) -> tuple[SchemaRegistry, dict]:
    capsys.readouterr()  # what earlier commands printed
    assert run(cli.main, ["registry", "start", "--state-dir", str(state)]) == 0
    details = json.loads(capsys.readouterr().out)
    assert details["running"] and details["url"].endswith("/apis/ccompat/v7")
    assert registry_ready(details["url"].removesuffix("/apis/ccompat/v7"))
    return SchemaRegistry(details["url"]), Registry(state).records()


def stop_with_the_cli(state: Path, records: dict) -> None:
    assert run(cli.main, ["registry", "stop", "--state-dir", str(state)]) == 0
    assert not any(process.is_alive(r) for r in records.values())
    assert run(cli.main, ["registry", "status", "--state-dir", str(state)]) == cli.NOT_RUNNING


def test_start_ready_stop_by_pid_and_keep_the_schemas_across_a_restart(
        tmp_path: Path, capsys) -> None:
    """A restart keeps every id and what it names: messages already in a topic still
    decode. The second schema is registered so that ids starting over would be caught."""
    state = tmp_path / "registry"
    registry, records = start_with_the_cli(state, capsys)
    try:
        first = registry.register("s-value", json.dumps(RECORD))
        other = avro([{"name": "count", "type": "long"}])
        second = registry.register("t-value", other)
        assert first >= 1 and second != first
        assert run(cli.main, ["registry", "status", "--state-dir", str(state)]) == 0
    finally:
        stop_with_the_cli(state, records)
    registry, records = start_with_the_cli(state, capsys)
    try:
        assert json.loads(registry.schema(second).text) == json.loads(other)
        assert json.loads(registry.schema(first).text) == RECORD
        assert registry.register("t-value", other) == second  # found, not added again
        assert registry.versions("t-value") == [1]
    finally:
        stop_with_the_cli(state, records)

"""Replaying a change file (--cdc): the envelopes go out byte for byte as the file has them,
keyed by their row's key, ordered by ts_ms; with other extracts, or alone; a real broker
gives them back."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from services.extracts import ExtractError
from services.generator.change_output import write_changes
from services.kafka.changes import is_change_file, load_changes
from services.kafka.events import render
from services.kafka.replay import load_replay
from services.schema import parse_schema
from tests.cdc import cdc_doc
from tests.kafka.replays import payloads
from tests.kafka.test_broker import create_topic, produce
from tests.schemas import CARD, generate
from tests.topics import read_topic, unique_topic

SEED = 9


def change_file(folder: Path, gz: bool = True, n: int = 3000) -> Path:
    ds = parse_schema(cdc_doc()).with_overrides(entity_count=n)
    suffix = ".changes.jsonl" + (".gz" if gz else "")
    return write_changes(ds, folder / f"e{suffix}", folder / "_final" / "e.csv", gz,
                         SEED).path


def lines_of(path: Path) -> list[bytes]:
    import gzip

    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).splitlines()


def key_of(line: bytes) -> bytes:
    change = json.loads(line)
    return str((change["after"] or change["before"])["eid"]).encode()


@pytest.mark.parametrize("gz", [False, True])
def test_envelopes_replay_unchanged_keyed_by_row_in_ts_order(tmp_path, gz):
    path = change_file(tmp_path, gz)
    assert is_change_file(path)
    replay = load_replay([path], None, "eid")
    keys, sent = payloads(replay)
    lines = lines_of(path)
    assert sent == [json.loads(line) for line in lines]  # file order is ts order
    events, _, _, _ = load_changes(path, "eid")
    _, raw = render(events, slice(0, events.size), 0)
    assert raw == lines  # every byte as in the file
    assert keys == [key_of(line) for line in lines]
    assert (replay.sort_ms == np.array([json.loads(x)["ts_ms"] for x in lines])).all()


def test_a_change_file_replays_beside_other_extracts(tmp_path):
    change_file(tmp_path)
    generate(CARD, tmp_path, 200, seed=3, name="cards")
    replay = load_replay(sorted(p for p in tmp_path.iterdir() if p.is_file()), None, "eid")
    _, sent = payloads(replay)
    assert sum("op" in row for row in sent) == len(lines_of(tmp_path / "e.changes.jsonl.gz"))
    assert sum("amount" in row and "op" not in row for row in sent) == 200


def test_a_table_extract_is_not_a_change_file(tmp_path):
    assert not is_change_file(generate(CARD, tmp_path, 10, fmt="jsonl", seed=3))
    assert not is_change_file(generate(CARD, tmp_path, 10, seed=3))


@pytest.mark.parametrize("key,message", [
    (None, "give --key-field"),
    ("nope", "the envelope's row has no 'nope'"),
])
def test_a_change_file_without_its_key_is_refused_in_one_line(tmp_path, key, message):
    path = change_file(tmp_path, n=50)
    with pytest.raises(ExtractError, match=message):
        load_changes(path, key)


@pytest.mark.kafka
def test_the_broker_gives_back_every_line_with_its_key_in_row_order(kafka_broker, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("changes")
    create_topic(bootstrap, topic, 3)
    path = change_file(tmp_path / "input")
    schema = tmp_path / "episodes.json"
    schema.write_text(json.dumps(cdc_doc()))
    code, totals, _ = produce(bootstrap, topic, "--input-dir", str(tmp_path / "input"),
                              "--rate", "0", "--config", str(schema))
    lines = lines_of(path)
    assert code == 0 and totals["delivered"] == len(lines) and totals["bad_rows"] == 0
    records = read_topic(bootstrap, topic)
    assert sorted(r.value for r in records) == sorted(lines)
    assert all(r.key == key_of(r.value) for r in records)
    by_key: dict[bytes, list[int]] = defaultdict(list)
    partition_of: dict[bytes, set[int]] = defaultdict(set)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key[r.key].append(json.loads(r.value)["source"]["seq"])
        partition_of[r.key].add(r.partition)
    assert all(len(p) == 1 for p in partition_of.values())  # a row's changes: one partition
    assert all(seqs == sorted(seqs) for seqs in by_key.values())  # ... in their order


def test_the_shipped_clickstream_replays_keyed_by_its_uuid_session(tmp_path):
    from services.common.paths import SCHEMAS
    from services.schema import load_schema

    ds = load_schema(SCHEMAS / "clickstream.json").with_overrides(entity_count=300)
    path = write_changes(ds, tmp_path / "c.changes.jsonl", tmp_path / "_final" / "c.csv",
                         False, SEED).path
    keys, sent = payloads(load_replay([path], ds, ds.lifecycle.changes.key))
    assert keys == [str((c["after"] or c["before"])["session_id"]).encode() for c in sent]
    assert {c["op"] for c in sent} == {"c", "u", "d"} and len(set(keys)) == 300

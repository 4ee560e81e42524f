"""Replay without a broker: rows to payload bytes (what the streaming job reads), keys, and
the order events leave in."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from services.extracts import read_extract
from services.kafka.events import render, take_scattered
from services.kafka.replay import load_replay
from services.schema import load_schema
from tests.kafka.replays import EVERY_TYPE, NOW, payloads
from tests.schemas import CARD, RETAIL, generate


def jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("schema", [CARD, RETAIL, "every-type"])
def test_csv_replay_sends_what_the_generator_writes_as_jsonl(tmp_path, schema):
    """With the schema, a CSV row's payload is the generator's JSONL object for that row
    (same types), plus event_time; in event-time order, keyed by the first dimension."""
    if schema == "every-type":
        schema = tmp_path / "every.json"
        schema.write_text(json.dumps(EVERY_TYPE))
    dataset = load_schema(schema)
    csv_path = generate(schema, tmp_path / "csv", 2000, seed=11)
    expected = jsonl_rows(generate(schema, tmp_path / "jsonl", 2000, fmt="jsonl", seed=11))
    ts = dataset.analysis.timestamp_field
    blank = [row for row in expected if not row[ts]]  # no event time: bad rows
    expected = [{**row, "event_time": row[ts]} for row in expected if row[ts]]
    expected.sort(key=lambda r: r[ts])  # stable: ties stay in file order

    replay = load_replay([csv_path], dataset, dataset.analysis.dimensions[0])
    keys, sent = payloads(replay)
    assert sent == expected
    assert replay.bad_rows == len(blank)
    assert list(sent[0]) == [*dataset.names, *([] if ts == "event_time" else ["event_time"])]
    key = dataset.analysis.dimensions[0]
    assert keys == [json.dumps(row[key]).strip('"').encode() for row in expected]


def test_without_a_schema_values_are_strings_and_empty_values_null(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,order_ts,qty,ok,note\n"
                    "7,2025-01-02 10:00:00,3,true,\n"
                    "8,2025-01-01T09:00:00Z,,false,\"say \"\"hi\"\"\\ \n\ttab\"\n")
    keys, sent = payloads(load_replay([path], None, None))
    assert keys == [b"orders.csv:3", b"orders.csv:2"]  # event ids: file and line
    assert sent == [
        {"order_id": "8", "order_ts": "2025-01-01T09:00:00Z", "qty": None, "ok": "false",
         "note": 'say "hi"\\ \n\ttab', "event_time": "2025-01-01T09:00:00"},
        {"order_id": "7", "order_ts": "2025-01-02 10:00:00", "qty": "3", "ok": "true",
         "note": None, "event_time": "2025-01-02T10:00:00"},
    ]


def test_schema_types_apply_only_where_the_text_has_that_type(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,order_time,quantity,unit_price,product\n"
                    "1,2025-03-03T10:00:00,2,3.5,Latte\n"
                    "2,2025-03-03T11:00:00,ask,007,Mug\n"
                    "3,2025-03-03T12:00:00,-4,1e3,é \u2603 \x01\n")
    _, sent = payloads(load_replay([path], load_schema(RETAIL), None))
    assert [(r["order_id"], r["quantity"], r["unit_price"]) for r in sent] == [
        (1, 2, 3.5), (2, "ask", "007"), (3, -4, 1000.0)]
    assert sent[2]["product"] == "é \u2603 \x01"


def test_a_blank_event_time_is_a_bad_row_never_the_send_time(tmp_path, caplog):
    path = tmp_path / "a.csv"
    path.write_text("id,order_time\n1,2025-01-03T00:00:00\n2,\n3,  \n4,2025-01-01T00:00:00\n")
    lines = tmp_path / "b.jsonl"
    lines.write_text('{"id": "5", "order_time": "2025-01-02T00:00:00"}\n'
                     '{"id": "6", "order_time": null}\n{"id": "7"}\n')
    replay = load_replay([path, lines], None, None)
    _, sent = payloads(replay)
    assert [(r["id"], r["event_time"]) for r in sent] == [
        ("4", "2025-01-01T00:00:00"), ("5", "2025-01-02T00:00:00"),
        ("1", "2025-01-03T00:00:00")]
    assert replay.bad_rows == 4 and replay.timed.all()
    for where in (f"{path}:3", f"{path}:4", f"{lines}:2", f"{lines}:3"):
        assert f"{where}: no event time: order_time is blank" in caplog.text


def test_only_an_extract_without_a_time_column_is_stamped_when_sent(tmp_path):
    timed = tmp_path / "a.csv"
    timed.write_text("id,order_time\n1,2025-01-03T00:00:00\n")
    untimed = tmp_path / "b.csv"
    untimed.write_text("id,city\n2,Paris\n3,Lyon\n")
    replay = load_replay([timed, untimed], None, None)
    _, sent = payloads(replay, now=NOW + 61)
    assert [(r["id"], r["event_time"]) for r in sent] == [
        ("2", "2026-01-01T00:01:01"), ("3", "2026-01-01T00:01:01"),
        ("1", "2025-01-03T00:00:00")]  # a file without times goes first, stamped when sent
    assert replay.bad_rows == 0 and replay.timed.tolist() == [True, False, False]


def test_files_merge_in_event_time_order_ties_in_file_then_line_order(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("id,timestamp\na1,2025-01-01T00:00:03\na2,2025-01-01T00:00:05\n"
                 "a3,2025-01-01T00:00:05\n")
    b = tmp_path / "b.jsonl"
    b.write_text('{"id": "b1", "order_date": "2025-01-01T00:00:01"}\n'
                 '{"id": "b2", "timestamp": "2025-01-01T00:00:05"}\n'
                 '{"id": "b3", "order_date": "2025-01-01T00:00:09"}\n')
    _, sent = payloads(load_replay([a, b], None, None))
    assert [r["id"] for r in sent] == ["b1", "a1", "a2", "a3", "b2", "b3"]
    assert "order_date" not in sent[4] and "timestamp" not in sent[5]  # missing keys stay out


def test_bad_rows_are_skipped_and_counted(tmp_path, caplog):
    path = tmp_path / "a.csv"
    path.write_text("id,order_time\n1,2025-01-01T00:00:00\n2,not a time\n3\n4,2025-01-02\n")
    replay = load_replay([path], None, None)
    assert replay.bad_rows == 2 and replay.events.size == 2
    assert f"{path}:3: its event time does not parse" in caplog.text
    assert f"{path}:4: 1 fields, the header has 2" in caplog.text


def test_shuffle_sends_every_row_once_in_a_new_order_each_pass(tmp_path):
    path = generate(CARD, tmp_path, 500)
    replay = load_replay([path], load_schema(CARD), None)
    ordered = [r["event_id"] for r in payloads(replay)[1]]
    passes = list(islice(replay.passes(True, True, np.random.default_rng(3)), 3))
    orders = [[json.loads(v)["event_id"] for v in render(c.events, c.rows, NOW)[1]]
              for c in passes]
    assert all(sorted(o) == sorted(ordered) for o in orders)
    assert orders[0] != ordered and orders[0] != orders[1]
    assert len(list(replay.passes(False, False, np.random.default_rng(3)))) == 1


def test_rows_view_is_the_seed_dict_per_row(tmp_path):
    path = generate(RETAIL, tmp_path, 3)
    rows = read_extract(path).rows()
    assert [sorted(r) for r in rows] == [sorted(load_schema(RETAIL).names)] * 3
    assert all(isinstance(v, str) for r in rows for v in r.values())


def test_scattered_takes_from_chunked_columns_match_arrow_take():
    rng = np.random.default_rng(5)
    chunks = [pa.array([f"r{start + i}" for i in range(size)], pa.string())
              for start, size in ((0, 7), (7, 1), (8, 0), (8, 30))]
    column = pa.chunked_array(chunks)
    for rows in (rng.permutation(38), np.array([37, 0, 7, 7]), np.array([], dtype=np.int64)):
        assert take_scattered(column, rows).to_pylist() == column.take(rows).to_pylist()


def test_a_row_over_the_event_size_limit_is_bad_the_rest_is_sent(tmp_path, caplog):
    from services.schema import MAX_EVENT_BYTES

    path = tmp_path / "a.csv"
    # the payload: {"id":"2","note":"...","order_time":"...","event_time":"..."}
    fixed = len('{"id":"2","note":"","order_time":"2025-01-01T00:00:00",'
                '"event_time":"2025-01-01T00:00:00"}')
    just = "x" * (MAX_EVENT_BYTES - fixed)
    path.write_text("id,note,order_time\n"
                    f"1,{just},2025-01-01T00:00:00\n"
                    f"2,{just}y,2025-01-01T00:00:00\n"
                    "3,short,2025-01-01T00:00:00\n")
    replay = load_replay([path], None, None)
    _, sent = payloads(replay)
    assert [r["id"] for r in sent] == ["1", "3"] and replay.bad_rows == 1
    assert f"{path}:3: its event would be over the 65,536-byte limit" in caplog.text

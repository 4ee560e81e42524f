"""The streaming job passes its own test, against the real broker and real Spark, in both
modes: it survives every kind of poison message and quarantines each once (raw bytes, reason,
offset), a time of no year from 1 to 9999 among them, and one from year 9999 never moves the
watermark; a duplicate (same key, same bytes) counts once; an event the watermark allows counts,
one at or before it is dropped and counted as late (once per event, not per window); the
ledger balances; a restart half-way keeps windows, quarantine and ledger exact. A duplicate
is the same key and the same bytes: one key with other bytes is another event (producers
often key by an entity)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.outputs import StreamOutputs
from services.schema import load_schema
from services.spark.kafka_offsets import resolved_start
from services.spark.stream_ledger import DEDUP_OPERATOR
from services.spark.streaming_job import Pipeline, StreamJobSettings, start
from tests.polling import poll
from tests.spark.streaming.faults import (
    COUNTED,
    DUPLICATE,
    EPOCH_MS,
    LATE,
    RETAIL,
    SCHEMA,
    SENTINEL,
    Kind,
    Message,
    Script,
    quarantine_rows,
)
from tests.spark.streaming.windows import compare, sink_rows
from tests.topics import send_keyed
from tests.topics import unique_topic as topic_name

pytestmark = [pytest.mark.kafka, pytest.mark.spark]
DAY = "2025-05-01T"


def settings(tmp: Path, bootstrap: str, topic: str, kind: Kind, **extra: str
             ) -> StreamJobSettings:
    schema = kind.schema_file(tmp)
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
           "OUTPUT_PATH": str(tmp / "out" / "stream"), "CHECKPOINT_DIR": str(tmp / "ckpt"),
           "STREAM_TRIGGER_INTERVAL": "200 milliseconds", "STARTING_OFFSETS": "earliest",
           "STREAM_LIVE_VIEW": "false", **extra}
    if schema is not None:
        env["SCHEMA_CONFIG_PATH"] = str(schema)
    return StreamJobSettings.from_env(env)


def begin(spark, conf: StreamJobSettings) -> Pipeline:
    return start(spark, conf, load_schema(conf.schema_path) if conf.schema_path else None)


def sent(bootstrap: str, topic: str, messages: list[Message]) -> None:
    """Send the messages in order and note their offsets."""
    placed = send_keyed(bootstrap, topic, [(m.key, m.value) for m in messages])
    for message, (partition, offset) in zip(messages, placed, strict=True):
        assert partition == 0
        message.offset = offset


def settle(pipeline: Pipeline) -> None:
    """Every query has processed all that the topic holds; none failed."""
    for query in pipeline.queries:
        query.processAllAvailable()
        assert query.exception() is None and query.isActive


def status(conf: StreamJobSettings) -> dict:
    return json.loads(StreamOutputs(Path(conf.output_path)).status_file.read_text())


def window_rows_dropped(pipeline: Pipeline) -> int:
    """What the windows' own operator dropped by the watermark: none, as the dedup before it
    drops whole late events."""
    return sum(int(op.get("numRowsDroppedByWatermark") or 0)
               for report in pipeline.main.recentProgress
               for op in json.loads(report.json)["stateOperators"]
               if op["operatorName"] != DEDUP_OPERATOR)


def closed_windows(conf: StreamJobSettings, script: Script):
    """The sink's windows once every expected one is there, without the sentinel's."""
    out, expected = Path(conf.output_path), script.windows()
    rows = poll("every window to close", lambda: sink_rows(out),
                until=lambda got: len(got) and (got[script.kind.group] != SENTINEL).sum()
                >= len(expected), timeout=120, describe=lambda got: f"{len(got)} windows")
    return rows[rows[script.kind.group] != SENTINEL]


def assert_ledger(conf: StreamJobSettings, script: Script) -> None:
    ledger = status(conf)["ledger"]
    expected = script.ledger()
    assert {k: ledger[k] for k in expected} == expected
    assert ledger["missed_batches"] == 0


@pytest.mark.parametrize("kind", [RETAIL, SCHEMA], ids=lambda k: k.name)
def test_every_fault_gets_its_fate(spark, kafka_broker, tmp_path, kind: Kind):
    bootstrap, topic = kafka_broker.bootstrap_servers, topic_name(f"faults-{kind.name}")
    script = Script(kind)
    # Before the start: on time every 5 minutes, 10:00 to 12:00, with duplicates (keyed, and
    # keyless ones deduplicated by their bytes) and every kind of poison among them.
    on_time = []
    for i in range(25):
        at = f"{DAY}{10 + i * 5 // 60:02d}:{i * 5 % 60:02d}:00"
        on_time.append(script.event(f"e{i}", at, "ABC"[i % 3], 1.25 + i))
        if i == 3:
            script.again(on_time[3], DUPLICATE)
            script.event("e3", f"{DAY}10:16:00", "C", 50.0)  # its key, other bytes: counted
        if i == 12:
            script.poison(f"{DAY}11:00:00")
            keyless = script.event(None, f"{DAY}11:02:00", "B", 7.5)
            script.again(keyless, DUPLICATE)
    first = list(script.messages)
    # Sent before a start at `latest`: no query reads them (a day later, they would close
    # every window; they would show in the quarantine).
    before = Script(kind)
    before.event("unread", "2025-05-03T00:00:00", "A", 5.0)
    before.poison(f"{DAY}11:00:00")
    sent(bootstrap, topic, before.messages)
    conf = settings(tmp_path, bootstrap, topic, kind, STARTING_OFFSETS="latest")
    pipeline = begin(spark, conf)
    try:
        sent(bootstrap, topic, first)
        settle(pipeline)
        poll("the watermark of the first events", lambda: status(conf).get("watermark"),
             until=lambda mark: (mark or "").startswith(f"{DAY}11:45:00"), timeout=60,
             ignoring=(OSError, ValueError))
        # Now the watermark is 11:45: an event after it counts, one at or before it is late,
        # and a duplicate whose time the watermark has passed is late, not a duplicate.
        late_ok = script.event("l1", f"{DAY}11:50:00", "A", 100.0)
        script.again(late_ok, DUPLICATE)
        script.event("l2", f"{DAY}11:45:01", "C", 200.0)
        script.event("t1", f"{DAY}11:45:00", "A", 1000.0, LATE)
        script.event("t2", f"{DAY}09:00:00", "B", 1000.0, LATE)
        script.again(on_time[23], DUPLICATE)  # 11:55
        script.again(on_time[2], LATE)  # 10:10
        script.poison(f"{DAY}11:50:00", keyed=False)
        script.event("n1", f"{DAY}12:10:00", "B", 3.0)  # the newest, last
        second = script.messages[len(first):]
        sent(bootstrap, topic, second)
        settle(pipeline)
        closing = [script.event("sentinel", "2025-05-02T12:00:00", SENTINEL, 1.0)]
        sent(bootstrap, topic, closing)
        settle(pipeline)
        got = closed_windows(conf, script)
        dropped_windows = window_rows_dropped(pipeline)
    finally:
        pipeline.stop()
    compare(script.windows(), got, kind.group)
    assert_ledger(conf, script)
    assert quarantine_rows(StreamOutputs(Path(conf.output_path)).quarantine_dir) == \
        script.quarantine(topic)
    assert dropped_windows == 0
    assert script.messages[0].offset == len(before.messages)
    assert sum(m.fate == LATE for m in script.messages) == 3


def test_latest_is_resolved_once_for_every_query(spark, kafka_broker):
    bootstrap, topic = kafka_broker.bootstrap_servers, topic_name("latest")
    assert resolved_start(spark, bootstrap, topic, "latest") == "earliest"  # no topic yet
    send_keyed(bootstrap, topic, [(b"k", b"{}")] * 3)
    assert json.loads(resolved_start(spark, bootstrap, topic, " Latest ")) == {topic: {"0": 3}}
    for given in ("earliest", json.dumps({topic: {"0": 1}})):
        assert resolved_start(spark, bootstrap, topic, given) == given


@pytest.mark.parametrize("kind", [RETAIL, EPOCH_MS], ids=lambda k: k.name)
def test_a_restart_half_way_keeps_windows_quarantine_and_ledger_exact(spark, kafka_broker,
                                                                      tmp_path, kind: Kind):
    """Also: times out of every year's range (an epoch_ms of 99999999999999999 overflows
    Spark's arithmetic) are bad times, and a restart goes on past them."""
    bootstrap, topic = kafka_broker.bootstrap_servers, topic_name(f"faults-restart-{kind.name}")
    script = Script(kind)
    # A minute apart, in order; with at most 8 records a batch, a duplicate 3 messages on is
    # within the watermark wherever the batches split, an event 40 minutes behind is late.
    events = []
    for i in range(80):
        at = f"{DAY}{10 + i // 60:02d}:{i % 60:02d}:00"
        events.append(script.event(f"e{i}", at, "AB"[i % 2], 0.5 + i))
        if i % 9 == 4:
            script.again(events[i - 2], DUPLICATE)
        if i % 20 == 7:
            script.poison(at, keyed=i % 40 == 7)
        if i in (50, 71):
            script.event(f"old{i}", f"{DAY}10:{i - 40:02d}:30", "A", 999.0, LATE)
    script.event("sentinel", "2025-05-02T12:00:00", SENTINEL, 1.0)
    sent(bootstrap, topic, script.messages)
    conf = settings(tmp_path, bootstrap, topic, kind, STREAM_MAX_OFFSETS_PER_TRIGGER="8")
    pipeline = begin(spark, conf)
    try:
        poll("a few micro-batches", lambda: status(conf)["batch_id"],
             until=lambda batch: batch >= 3, timeout=120, ignoring=(OSError, ValueError))
    finally:
        pipeline.stop()
    half = status(conf)["ledger"]
    assert 0 < half["read"] < len(script.messages) and half["balanced"] is True
    pipeline = begin(spark, conf)
    try:
        settle(pipeline)
        got = closed_windows(conf, script)
    finally:
        pipeline.stop()
    compare(script.windows(), got, kind.group)
    assert_ledger(conf, script)
    assert quarantine_rows(StreamOutputs(Path(conf.output_path)).quarantine_dir) == \
        script.quarantine(topic)
    fates = {m.fate for m in script.messages}
    assert {COUNTED, DUPLICATE, LATE, "empty", "bad_time", "future_time", "text_number"} <= fates

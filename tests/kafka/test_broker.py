"""The producer against a real broker: what goes in comes out, in order, at the rate asked,
on SIGTERM, in live mode, and across a broker restart."""

from __future__ import annotations

import calendar
import json
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from services.infra.kafka import KafkaDetails
from services.kafka.cli import main
from tests.kafka.producer_script import PrivateBroker, start_script, totals_of
from tests.polling import poll
from tests.schemas import CARD, RETAIL, generate
from tests.topics import count_in_topic, read_topic, unique_topic

pytestmark = pytest.mark.kafka

def canonical(row: dict) -> str:
    return json.dumps(row, sort_keys=True)


def jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def produce(bootstrap: str, topic: str, *args: str) -> tuple[int, dict[str, float], str]:
    """Run the producer in this process; (exit code, totals, stdout)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--bootstrap-servers", bootstrap, "--topic", topic, *args])
    return code, totals_of(out.getvalue()), out.getvalue()


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()


def utc_seconds(text: str) -> int:
    """An event time (UTC, second precision) as seconds since the epoch. calendar.timegm,
    not mktime: local time and its DST jumps have nothing to do with it."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S"))


def test_replay_delivers_every_row_once_keyed_and_in_event_time_order(kafka_broker: KafkaDetails,
                                                                       tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("replay")
    create_topic(bootstrap, topic, 3)
    data = tmp_path / "input"
    generate(CARD, data, 2500, seed=21, name="part-a")
    generate(CARD, data, 1500, fmt="jsonl", gzip=True, seed=22, name="part-b")
    expected = [*jsonl_rows(generate(CARD, tmp_path / "ref", 2500, fmt="jsonl", seed=21)),
                *jsonl_rows(generate(CARD, tmp_path / "ref", 1500, fmt="jsonl", seed=22,
                                     name="b"))]

    code, totals, _ = produce(bootstrap, topic, "--input-dir", str(data), "--rate", "0",
                              "--config", str(CARD))
    assert code == 0
    assert (totals["sent"], totals["delivered"], totals["failed"], totals["bad_rows"]) == (
        4000, 4000, 0, 0)
    records = read_topic(bootstrap, topic)
    rows = [json.loads(r.value) for r in records]
    assert Counter(map(canonical, rows)) == Counter(map(canonical, expected))
    # each event's id is its key: the schema's first uuid field
    assert all(r.key == json.loads(r.value)["event_id"].encode() for r in records)
    assert len({r.key for r in records}) == 4000
    by_partition = {r.partition for r in records}
    assert len(by_partition) > 1
    for partition in by_partition:  # Kafka orders within a partition
        times = [json.loads(r.value)["event_time"] for r in records if r.partition == partition]
        assert times == sorted(times)


@pytest.mark.slow
def test_rate_is_held_within_ten_percent_over_ten_seconds(kafka_broker: KafkaDetails,
                                                          tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("rate")
    generate(RETAIL, tmp_path, 5000)
    code, totals, _ = produce(bootstrap, topic, "--input-dir", str(tmp_path), "--rate", "300",
                              "--duration", "10", "--config", str(RETAIL))
    assert code == 0 and totals["failed"] == 0
    assert totals["rate"] == pytest.approx(300, rel=0.10)
    records = read_topic(bootstrap, topic)
    assert len(records) == totals["delivered"] == pytest.approx(3000, rel=0.10)
    stamps = sorted(r.timestamp for r in records)  # set by the client when sent, ms
    achieved = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000)
    assert achieved == pytest.approx(300, rel=0.10)


def test_loop_replays_the_extract_again(kafka_broker: KafkaDetails, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("loop")
    generate(RETAIL, tmp_path, 40)
    code, totals, _ = produce(bootstrap, topic, "--input-dir", str(tmp_path), "--rate", "0",
                              "--loop", "--max-events", "100")
    assert code == 0 and totals["delivered"] == 100
    ids = [json.loads(r.value)["order_id"] for r in read_topic(bootstrap, topic)]
    one_pass = ids[:40]
    assert sorted(one_pass) == [str(i) for i in range(100001, 100041)]
    assert ids == one_pass + one_pass + one_pass[:20]


@pytest.mark.parametrize(("sig", "code", "client"), [(signal.SIGTERM, 0, "kafka-python"),
                                                     (signal.SIGINT, 130, "confluent")])
def test_a_signal_mid_run_stops_flushes_and_reports(kafka_broker: KafkaDetails, tmp_path,
                                                    sig, code, client):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("signal")
    rows = 60_000  # paced at 5,000/s: the run lasts 12 s, the signal comes after 500
    generate(CARD, tmp_path / "in", rows)
    producer = start_script(["--bootstrap-servers", bootstrap, "--topic", topic,
                             "--input-dir", str(tmp_path / "in"), "--rate", "5000",
                             "--client", client, "--config", str(CARD)], cwd=tmp_path)
    poll("the first 500 messages (or the producer's exit)",
         lambda: (count_in_topic(bootstrap, topic), producer.proc.poll()),
         until=lambda seen: seen[0] >= 500 or seen[1] is not None, timeout=60)
    producer.proc.send_signal(sig)
    returncode, out, err = producer.finish(timeout=60)
    assert returncode == code, err
    totals = totals_of(out)
    assert 500 <= totals["sent"] < rows  # it really stopped mid-run
    assert totals["delivered"] == totals["sent"] and totals["failed"] == 0
    assert "Traceback" not in err and signal.Signals(sig).name in err
    sent = read_topic(bootstrap, topic)
    assert len(sent) == totals["sent"]  # everything sent was flushed, nothing twice
    times = [json.loads(r.value)["event_time"] for r in sent]
    assert times == sorted(times)


def test_live_mode_streams_parseable_events_at_the_current_time(kafka_broker: KafkaDetails):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("live")
    before = time.time()
    code, totals, _ = produce(bootstrap, topic, "--generate", "--config", str(RETAIL),
                              "--rate", "0", "--max-events", "500", "--seed", "4")
    after = time.time()
    assert code == 0 and totals["delivered"] == 500
    records = read_topic(bootstrap, topic)
    rows = [json.loads(r.value) for r in records]
    assert len(rows) == 500 and len({r["order_id"] for r in rows}) == 500
    fields = ["order_id", "order_time", "store", "category", "product", "quantity",
              "unit_price", "event_time"]
    assert all(list(r) == fields for r in rows)
    for row, record in zip(rows, records, strict=True):
        stamp = utc_seconds(row["event_time"])
        assert int(before) <= stamp <= after and row["order_time"] == row["event_time"]
        assert record.key == str(row["order_id"]).encode()  # the event id
        assert isinstance(row["quantity"], int) and isinstance(row["unit_price"], float)


def test_time_scale_replays_the_window_faster_in_order(kafka_broker: KafkaDetails, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("scaled")
    schema = json.loads(RETAIL.read_text())
    schema["time_window"] = {"start": "2025-03-03T00:00:00", "end": "2025-03-03T00:59:59"}
    schema["entity_count"] = 900
    path = tmp_path / "hour.json"
    path.write_text(json.dumps(schema))
    start = time.time()
    code, totals, _ = produce(bootstrap, topic, "--generate", "--config", str(path),
                              "--time-scale", "600", "--max-events", "300")  # 1 h in 6 s
    assert code == 0 and totals["delivered"] == 300
    records = read_topic(bootstrap, topic)
    event_s = [utc_seconds(json.loads(r.value)["event_time"]) for r in records]
    assert event_s == sorted(event_s)
    assert int(start) - 1 <= event_s[0] <= event_s[-1] <= int(start) + 3600
    # event time runs 600x the send clock (client timestamps): compare the spans
    send_span = (records[-1].timestamp - records[0].timestamp) / 1000
    assert (event_s[-1] - event_s[0]) / 600 == pytest.approx(send_span, abs=0.5)
    assert send_span > 1.0  # 300 of 900 events: about a third of the 6 s hour


def test_a_broker_that_never_answers_fails_clearly(tmp_path):
    from services.infra.net import free_ports

    generate(RETAIL, tmp_path, 10)
    port = free_ports(1)[0]
    started = time.monotonic()
    code, out, err = start_script(["--bootstrap-servers", f"127.0.0.1:{port}", "--input-dir",
                                   str(tmp_path), "--connect-timeout", "2"],
                                  cwd=tmp_path).finish(timeout=60)
    assert code == 1
    assert time.monotonic() - started < 30
    assert f"error: no Kafka broker answered at 127.0.0.1:{port} within 2 s" in err
    assert "Traceback" not in err and out == ""


@pytest.mark.slow
def test_broker_down_at_start_then_restarted_mid_run_loses_nothing(
        private_broker: PrivateBroker, tmp_path):
    """The producer starts before the broker (it retries), then the broker is stopped while
    events are in flight and started again on the same port and state: every event arrives,
    once (idempotence). The outage lasts until the producer has filled its buffer with
    unconfirmed events (it says it is waiting for the broker), so events really were sent
    while the broker was away."""
    rows = 6000
    generate(CARD, tmp_path / "in", rows)
    bootstrap, topic = private_broker.bootstrap_servers, unique_topic("restart")
    producer = start_script(["--bootstrap-servers", bootstrap, "--topic", topic,
                             "--input-dir", str(tmp_path / "in"), "--rate", "600",
                             "--max-buffered", "300", "--config", str(CARD),
                             "--connect-timeout", "90"], cwd=tmp_path)
    poll("the producer to retry (or exit)", lambda: (producer.stderr(), producer.proc.poll()),
         until=lambda seen: "does not answer yet" in seen[0] or seen[1] is not None,
         timeout=60, describe=lambda seen: f"exit code {seen[1]}, stderr {seen[0][-500:]!r}")
    assert producer.proc.poll() is None
    private_broker.start()
    poll("the first 1000 messages", lambda: count_in_topic(bootstrap, topic),
         until=lambda count: count >= 1000, timeout=60)
    private_broker.stop()
    before_outage = len(producer.stderr())
    poll("the producer to wait on a full buffer while the broker is away",
         lambda: producer.stderr()[before_outage:],
         until=lambda err: "waiting for the broker" in err, timeout=60)
    assert producer.proc.poll() is None
    private_broker.start()
    code, out, err = producer.finish(timeout=120)
    assert code == 0, err
    totals = totals_of(out)
    assert (totals["sent"], totals["delivered"], totals["failed"]) == (rows, rows, 0)
    assert "does not answer yet" in err
    records = read_topic(bootstrap, topic)
    ids = Counter(json.loads(r.value)["event_id"] for r in records)
    assert len(ids) == rows and max(ids.values()) == 1  # none lost, none twice
    times = [json.loads(r.value)["event_time"] for r in records]
    assert times == sorted(times)

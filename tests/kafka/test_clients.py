"""Both Kafka clients (kafka-python, confluent/librdkafka) against the real broker: the same
messages, keys and partitions, in event-time order per partition, with each compression;
and librdkafka's failures are the same one-line errors as kafka-python's."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

import pytest

from services.infra.kafka import KafkaDetails
from services.kafka.delivery import key_hash, partition_of
from services.kafka.settings import parse_settings
from tests.kafka.producer_script import start_script, totals_of
from tests.kafka.test_broker import create_topic, jsonl_rows, produce
from tests.polling import poll
from tests.schemas import CARD, RETAIL, generate
from tests.topics import count_in_topic, read_topic, unique_topic

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize(("client", "compression"), [
    ("kafka-python", "lz4"), ("confluent", "none"), ("confluent", "zstd"),
    ("confluent", "lz4"), ("kafka-python", "zstd")])
def test_each_client_sends_every_row_once_to_its_key_partition_in_order(
        kafka_broker: KafkaDetails, tmp_path, client, compression):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic(f"client-{client}")
    create_topic(bootstrap, topic, 3)
    generate(CARD, tmp_path / "in", 3000, seed=5)
    expected = jsonl_rows(generate(CARD, tmp_path / "ref", 3000, fmt="jsonl", seed=5))
    code, totals, out = produce(bootstrap, topic, "--input-dir", str(tmp_path / "in"),
                                "--rate", "0", "--config", str(CARD), "--client", client,
                                "--compression", compression)
    assert code == 0, out
    assert (totals["sent"], totals["delivered"], totals["failed"]) == (3000, 3000, 0)
    records = read_topic(bootstrap, topic)
    rows = [json.loads(r.value) for r in records]
    assert Counter(json.dumps(r, sort_keys=True) for r in rows) == \
        Counter(json.dumps(r, sort_keys=True) for r in expected)
    assert all(r.key == json.loads(r.value)["event_id"].encode() for r in records)
    # the partition Java's client and kafka-python pick for the key, whichever client sent it
    assert all(r.partition == partition_of(key_hash(r.key), {0, 1, 2}) for r in records)
    for partition in {r.partition for r in records}:
        times = [json.loads(r.value)["event_time"] for r in records if r.partition == partition]
        assert times == sorted(times)


def test_a_paced_confluent_run_holds_the_rate(kafka_broker: KafkaDetails, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("confluent-rate")
    generate(RETAIL, tmp_path, 2000)
    code, totals, _ = produce(bootstrap, topic, "--input-dir", str(tmp_path), "--rate", "400",
                              "--duration", "4", "--client", "confluent")
    assert code == 0 and totals["failed"] == 0
    assert totals["rate"] == pytest.approx(400, rel=0.10)
    stamps = sorted(r.timestamp for r in read_topic(bootstrap, topic))
    assert len(stamps) == totals["delivered"]
    assert (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000) == pytest.approx(400, rel=0.10)


def test_confluent_with_no_broker_fails_in_one_line_without_client_chatter(tmp_path):
    from services.infra.net import free_ports

    generate(RETAIL, tmp_path, 10)
    port = free_ports(1)[0]
    started = time.monotonic()
    code, out, err = start_script(["--bootstrap-servers", f"127.0.0.1:{port}", "--input-dir",
                                   str(tmp_path), "--connect-timeout", "2", "--client",
                                   "confluent"], cwd=tmp_path).finish(timeout=60)
    assert code == 1 and time.monotonic() - started < 30
    assert f"error: no Kafka broker answered at 127.0.0.1:{port} within 2 s" in err
    assert "Traceback" not in err and "|FAIL|" not in err and out == ""


def test_sigterm_mid_run_flushes_what_confluent_sent(kafka_broker: KafkaDetails, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("confluent-signal")
    rows = 200_000
    generate(CARD, tmp_path / "in", rows)
    producer = start_script(["--bootstrap-servers", bootstrap, "--topic", topic,
                             "--input-dir", str(tmp_path / "in"), "--rate", "20000",
                             "--config", str(CARD), "--client", "confluent"], cwd=tmp_path)
    poll("the first 500 messages (or the producer's exit)",
         lambda: (count_in_topic(bootstrap, topic), producer.proc.poll()),
         until=lambda seen: seen[0] >= 500 or seen[1] is not None, timeout=60)
    producer.proc.send_signal(signal.SIGTERM)
    returncode, out, err = producer.finish(timeout=60)
    assert returncode == 0, err
    totals = totals_of(out)
    assert 500 <= totals["sent"] < rows
    assert totals["delivered"] == totals["sent"] and totals["failed"] == 0
    assert len(read_topic(bootstrap, topic)) == totals["sent"]


@pytest.mark.parametrize(("argv", "env", "chosen"), [
    (["--rate", "0"], {}, "confluent"),
    (["--rate", "50"], {}, "kafka-python"),
    ([], {}, "kafka-python"),
    (["--rate", "0"], {"KAFKA_CLIENT": "kafka-python"}, "kafka-python"),
    (["--rate", "50", "--client", "confluent"], {"KAFKA_CLIENT": "kafka-python"}, "confluent"),
])
def test_auto_takes_librdkafka_only_for_unpaced_runs(argv, env, chosen):
    assert parse_settings(argv, env).chosen_client == chosen


@pytest.mark.parametrize(("argv", "env", "message"), [
    (["--client", "librdkafka"], {}, "invalid choice: 'librdkafka'"),
    (["--compression", "brotli"], {}, "invalid choice: 'brotli'"),
    ([], {"KAFKA_COMPRESSION": "xz"}, "KAFKA_COMPRESSION"),
    ([], {"KAFKA_CLIENT": "java"}, "KAFKA_CLIENT"),
])
def test_a_bad_client_or_compression_is_named(argv, env, message):
    from services.common.cli import UsageError

    with pytest.raises(UsageError, match=message):
        parse_settings(argv, env)

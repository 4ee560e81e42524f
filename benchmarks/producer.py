"""Kafka producer throughput: each client against its own ceiling and against Kafka's.

Starts its own broker (services.infra, temporary state folder), generates N card events
with the generator, then in each round:
  perf-test  Kafka's kafka-producer-perf-test (org.apache.kafka.tools.ProducerPerformance,
             the broker's version, resolved from Maven Central into .cache/jvm/kafka-tools
             on first use) sending N records of our messages' mean size, acks=all: what the
             broker takes from a Java client on this machine;
  ceiling    a tight kafka-python loop sending the same messages, pre-serialised to bytes
             (before the clock starts), with the producer's settings, and a flush; in a
             fresh process, as the producer runs;
  kafka-python / confluent  the producer script replaying the extract with --rate 0 and
             that --client, as a user runs it (events/s as it reports them: first send to
             last confirmation), plus its wall time and peak RSS (VmHWM, every 0.2 s);
  lz4 / zstd the confluent run with that --compression;
  faults     the default client with every stream fault on (FAULTS) and the expected
             answer recorded (--expect), messages/s.
A warm-up run goes first (a cold broker is slower), then rounds alternate so that a noisy
machine hurts all alike; ratios of the medians are the figures. Targets: confluent at >= 50%
of the perf test; kafka-python at >= 80% of its client ceiling; faults at >= 90% of the
same client's clean rate. Every topic's end offsets are checked: each run delivered what it
says it sent (N events, more with faults).

    .venv/bin/python benchmarks/producer.py [--events 500000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from services.generator import write_dataset  # noqa: E402
from services.infra.kafka import Kafka  # noqa: E402
from services.kafka.cli import key_field_of  # noqa: E402
from services.kafka.delivery import ClientOptions, connect  # noqa: E402
from services.kafka.events import render  # noqa: E402
from services.kafka.replay import load_replay  # noqa: E402
from services.kafka.settings import parse_settings  # noqa: E402
from services.schema import load_schema  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"
SCRIPT = REPO / "services/event-generator/kafka_event_producer.py"
TOOLS_POM = REPO / "benchmarks/jvm/kafka-tools/pom.xml"
TOOLS = REPO / ".cache/jvm/kafka-tools"
TARGET = 0.80
PERF_TARGET = 0.50
FAULTS_TARGET = 0.90
FAULTS = ('{"out_of_order": "30 s", "late": {"p": 0.05, "max": "10 minutes"}, '
          '"too_late": {"p": 0.01}, "duplicates": {"p": 0.03}, "malformed": {"p": 0.01}}')


def messages(extract: Path) -> tuple[list[bytes | None], list[bytes]]:
    """The producer's own bytes for every event, in the order it sends them, keyed as it keys
    them (each event's id: its own key, so no partitioner cache helps either run)."""
    dataset = load_schema(CARD)
    key_field = key_field_of(parse_settings(["--config", str(CARD)], {}), dataset)
    replay = load_replay([extract], dataset, key_field)
    order = np.argsort(replay.sort_ms, kind="stable")
    keys, values = render(replay.events, order, int(time.time()))
    return keys or [None] * len(values), values


def mean_message_size(extract: Path) -> int:
    _, values = messages(extract)
    return round(sum(map(len, values)) / len(values))


def ceiling_run(bootstrap: str, topic: str, extract: Path, count: int | None = None) -> float:
    """The ceiling measured in a fresh process, like the producer's run: a process holding
    every message as Python bytes from the start differs from the producer's."""
    args = [sys.executable, __file__, "--ceiling-of", str(extract), "--bootstrap", bootstrap,
            "--topic", topic] + (["--events", str(count)] if count else [])
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the ceiling run failed:\n{result.stderr}")
    return float(result.stdout.strip())


def ceiling(bootstrap: str, topic: str, keys: list, values: list[bytes]) -> float:
    """Events/s of a tight send loop plus flush, with the producer's client settings."""
    producer = connect(ClientOptions(bootstrap, delivery_timeout=120, max_block=60), 60)
    try:
        producer.partitions_for(topic)  # topic created before timing, as the producer does
        send = producer.send
        started = time.perf_counter()
        for key, value in zip(keys, values, strict=True):
            send(topic, value, key)
        producer.flush()
        return len(values) / (time.perf_counter() - started)
    finally:
        producer.close()


def perf_tools() -> Path:
    """Kafka's tools jars, fetched from Maven Central on first use."""
    if not any(TOOLS.glob("kafka-tools-*.jar")):
        subprocess.run(["mvn", "-B", "-q", "-f", str(TOOLS_POM), "dependency:copy-dependencies",
                        "-DincludeScope=runtime", f"-DoutputDirectory={TOOLS}"], check=True)
    return TOOLS


def perf_test(bootstrap: str, topic: str, records: int, size: int) -> float:
    """Records/s of kafka-producer-perf-test: `records` unkeyed records of `size` bytes."""
    done = subprocess.run(
        ["java", "-cp", f"{perf_tools()}/*", "org.apache.kafka.tools.ProducerPerformance",
         "--topic", topic, "--num-records", str(records), "--record-size", str(size),
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}",
         "acks=all", "enable.idempotence=true"],
        capture_output=True, text=True, check=False)
    found = re.search(r"(\d+) records sent, ([0-9.]+) records/sec", done.stdout)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"kafka-producer-perf-test failed:\n{done.stdout[-2000:]}"
                         f"{done.stderr[-2000:]}")
    return float(found.group(2))


def peak_rss_mb(pid: int) -> float | None:
    """The process's high-water RSS since it started its program (VmHWM). Not rusage: the
    forked child's ru_maxrss includes this (large) benchmark process before the exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def producer_run(bootstrap: str, topic: str, folder: Path,
                 *more: str) -> tuple[float, float, float, int]:
    """(messages/s as reported, messages/s over the whole process, peak RSS in MB, sent)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), "--bootstrap-servers", bootstrap,
                                 "--topic", topic, "--input-dir", str(folder), "--rate", "0",
                                 "--config", str(CARD), "--log-level", "WARNING", *more],
                                stdout=out)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, peak_rss_mb(proc.pid) or 0.0)
            time.sleep(0.2)
        wall = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"the producer failed (exit code {proc.returncode}):\n{output}")
    sent = int(re.search(r"sent=(\d+)", output).group(1))
    rate = float(re.search(r"rate=([0-9.]+)/s", output).group(1))
    return rate, sent / wall, peak, sent


def delivered(bootstrap: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ceiling-of", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    parser.add_argument("--topic", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_of:  # the worker of ceiling_run
        keys, values = messages(args.ceiling_of)
        count = min(args.events, len(values))
        print(ceiling(args.bootstrap, args.topic, keys[:count], values[:count]))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-producer-") as tmp:
        work = Path(tmp)
        broker = Kafka(work / "kafka")
        status, _ = broker.start()
        bootstrap = status.details.bootstrap_servers
        try:
            folder = work / "input"
            dataset = load_schema(CARD).with_overrides(entity_count=args.events)
            result = write_dataset(dataset, folder / "card_transactions.csv", 42,
                                   workers=os.cpu_count() or 1)
            print(f"broker {bootstrap}; {args.events:,} card events "
                  f"({result.bytes / 1e6:.0f} MB of CSV)", flush=True)
            extract = folder / "card_transactions.csv"
            size = mean_message_size(extract)
            ceiling_run(bootstrap, "warm-up", extract, 50_000)  # a cold broker is slower
            perf_test(bootstrap, "warm-up-perf", 50_000, size)
            runs: dict[str, list[float]] = {}

            def record(name: str, rate: float, topic: str, expected: int, note: str) -> None:
                runs.setdefault(name, []).append(rate)
                check = delivered(bootstrap, topic)
                print(f"round {round_}: {name:<13}{rate:>10,.0f}/s ({check:,} delivered"
                      f"{note})", flush=True)
                if check != expected:
                    raise SystemExit(f"{topic}: {check:,} of {expected:,} delivered")

            for round_ in range(1, args.rounds + 1):
                topic = f"perf-{round_}"
                record("perf-test", perf_test(bootstrap, topic, args.events, size), topic,
                       args.events, f"; {size} B records")
                topic = f"ceiling-{round_}"
                record("ceiling", ceiling_run(bootstrap, topic, extract), topic, args.events,
                       "; kafka-python's own loop")
                for name, more in (("kafka-python", ("--client", "kafka-python")),
                                   ("confluent", ("--client", "confluent")),
                                   ("lz4", ("--client", "confluent", "--compression", "lz4")),
                                   ("zstd", ("--client", "confluent", "--compression", "zstd"))):
                    topic = f"{name}-{round_}"
                    rate, whole, rss, _ = producer_run(bootstrap, topic, folder, *more)
                    record(name, rate, topic, args.events,
                           f"; {whole:,.0f}/s with start-up; peak RSS {rss:,.0f} MB")
                topic = f"faults-{round_}"
                rate, whole, rss, sent = producer_run(
                    bootstrap, topic, folder, "--faults", FAULTS, "--seed", str(round_),
                    "--expect", str(work / f"expected-{round_}"))
                record("faults", rate, topic, sent,
                       f"; {whole:,.0f}/s with start-up; peak RSS {rss:,.0f} MB")
            median = {name: statistics.median(rates) for name, rates in runs.items()}
            verdicts = [
                ("confluent", "perf-test", PERF_TARGET),
                ("kafka-python", "ceiling", TARGET),
                ("faults", "confluent", FAULTS_TARGET),  # --rate 0's default client
            ]
            for name, against, target in verdicts:
                share = median[name] / median[against]
                print(f"median: {name} {median[name]:,.0f}/s = {share:.0%} of {against} "
                      f"{median[against]:,.0f}/s (target >= {target:.0%}: "
                      f"{'met' if share >= target else 'NOT met'})")
            for name in ("lz4", "zstd"):
                print(f"median: confluent with {name} {median[name]:,.0f}/s = "
                      f"{median[name] / median['confluent']:.0%} of confluent uncompressed")
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Kafka producer throughput against the ceiling of the Kafka client itself.

Starts its own broker (services.infra, temporary state folder), generates N card events
with the generator, then in each round:
  ceiling   a tight loop sending the same messages, pre-serialised to bytes (before the
            clock starts), with the same producer settings (acks=all, idempotence, linger,
            batch size, partitioner), and a flush; in a fresh process, as the producer runs;
  producer  the producer script replaying the extract with --rate 0, as a user runs it
            (events/s as it reports them: first send to last confirmation), plus its wall
            time (interpreter start, reading and sorting, connecting) and peak RSS (VmHWM,
            sampled every 0.2 s);
  faults    the same with every stream fault on (FAULTS: late, out of order, too late,
            duplicates, malformed) and the expected answer recorded (--expect), messages/s.
A warm-up run goes first (a cold broker is slower), then rounds alternate so that a noisy
machine hurts both alike; the ratio of the medians is the figure. Target: the producer at
>= 80% of the ceiling, and with faults at >= 90% of its clean rate. Every topic's end offsets
are checked: each run delivered what it says it sent (N events, more with faults).

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
TARGET = 0.80
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
            ceiling_run(bootstrap, "warm-up", extract, 50_000)  # a cold broker is slower
            ceilings, rates, faulted = [], [], []
            for round_ in range(1, args.rounds + 1):
                topic = f"ceiling-{round_}"
                ceilings.append(ceiling_run(bootstrap, topic, extract))
                check = delivered(bootstrap, topic)
                print(f"round {round_}: ceiling  {ceilings[-1]:>9,.0f} events/s "
                      f"({check:,} delivered)", flush=True)
                topic = f"producer-{round_}"
                rate, whole, rss, sent = producer_run(bootstrap, topic, folder)
                rates.append(rate)
                check = delivered(bootstrap, topic)
                print(f"round {round_}: producer {rate:>9,.0f} events/s "
                      f"({check:,} delivered; {whole:,.0f} events/s with start-up, reading "
                      f"and sorting; peak RSS {rss:,.0f} MB)", flush=True)
                if check != args.events:
                    raise SystemExit(f"{topic}: {check:,} of {args.events:,} delivered")
                topic = f"faults-{round_}"
                rate, whole, rss, sent = producer_run(
                    bootstrap, topic, folder, "--faults", FAULTS, "--seed", str(round_),
                    "--expect", str(work / f"expected-{round_}"))
                faulted.append(rate)
                check = delivered(bootstrap, topic)
                print(f"round {round_}: faults   {rate:>9,.0f} messages/s ({check:,} "
                      f"delivered; {whole:,.0f}/s with start-up; peak RSS {rss:,.0f} MB)",
                      flush=True)
                if check != sent:
                    raise SystemExit(f"{topic}: {check:,} of {sent:,} delivered")
            top, ours, faults = (statistics.median(x) for x in (ceilings, rates, faulted))
            share = ours / top
            print(f"median: producer {ours:,.0f} events/s = {share:.0%} of the client ceiling "
                  f"{top:,.0f} events/s (target >= {TARGET:.0%}: "
                  f"{'met' if share >= TARGET else 'NOT met'})")
            share = faults / ours
            print(f"median: with every fault on {faults:,.0f} messages/s = {share:.0%} of the "
                  f"clean rate (target >= {FAULTS_TARGET:.0%}: "
                  f"{'met' if share >= FAULTS_TARGET else 'NOT met'})")
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures of the producer tests: generated extracts, topics read back whole, and a private
broker that a test may stop and start again (the session broker must stay up for others)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.generator import write_dataset
from services.infra import net
from services.infra.kafka import Kafka
from services.schema import Dataset, load_schema
from tests.polling import poll

# kafka-python is imported where it is used: importing it warns on Python 3.11, and the
# session's filter for that warning applies to tests, not to collecting this file.

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "services" / "event-generator" / "kafka_event_producer.py"
CARD = REPO / "services" / "batch" / "schemas" / "card_transactions.json"
RETAIL = REPO / "services" / "batch" / "schemas" / "retail_orders.json"


def unique_topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def generate(schema: Path, folder: Path, rows: int, *, fmt: str = "csv", gzip: bool = False,
             seed: int = 7, name: str | None = None) -> Path:
    """An extract written by the generator itself, as a user would replay it."""
    dataset: Dataset = load_schema(schema).with_overrides(entity_count=rows, output_format=fmt,
                                                          gzip=gzip)
    path = folder / ((name or schema.stem) + dataset.output.suffix)
    write_dataset(dataset, path, seed)
    return path


def read_topic(bootstrap: str, topic: str, timeout: float = 60.0) -> list:
    """Every message now in `topic` (ConsumerRecords), partition by partition in offset
    order: read until each partition's position reaches its end offset, so nothing is
    guessed from a quiet spell."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=int(timeout * 1000))
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: dict[int, list] = {tp.partition: [] for tp in partitions}

        def behind() -> int:
            """Messages still to read; the consumer's poll is the wait."""
            left = sum(ends[tp] - consumer.position(tp) for tp in partitions)
            if left:
                for tp, items in consumer.poll(timeout_ms=1000).items():
                    records[tp.partition].extend(items)
            return left

        poll(f"every message of {topic} up to its end offsets", behind,
             until=lambda left: left == 0, timeout=timeout, interval=0,
             describe=lambda left: f"{left} messages still to read")
        return [r for p in sorted(records) for r in records[p]]
    finally:
        consumer.close()


def count_in_topic(bootstrap: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return sum(consumer.end_offsets(partitions).values()) if partitions else 0
    finally:
        consumer.close()


@dataclass
class Running:
    """The producer script running in a subprocess, its output going to files that a test
    can read while it runs."""

    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def finish(self, timeout: float = 120.0) -> tuple[int, str, str]:
        """Wait for the exit: (exit code, stdout, stderr); killed if it does not end."""
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return code, self.out.read_text(), self.stderr()


def start_script(args: Sequence[str], cwd: Path) -> Running:
    """The producer as users run it: the script, from another folder."""
    out, err = cwd / f"producer-{uuid.uuid4().hex[:6]}.out", cwd / "producer.err"
    err = err.with_name(out.stem + ".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), *args], cwd=cwd, stdout=stdout,
                                stderr=stderr)
    return Running(proc, out, err)


def totals_of(stdout: str) -> dict[str, float]:
    """The key=value pairs of the producer's totals line."""
    line = next(x for x in stdout.splitlines() if x.startswith("totals:"))
    pairs = (item.split("=", 1) for item in line.removeprefix("totals:").split())
    return {key: float(value.removesuffix("/s")) for key, value in pairs}


@dataclass
class PrivateBroker:
    """A broker of one test, on a fixed port and state folder, so it can be stopped while a
    producer sends and started again as the same broker."""

    state_dir: Path
    port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"{net.HOST}:{self.port}"

    def start(self) -> None:
        Kafka(self.state_dir, port=self.port).start()

    def stop(self) -> None:
        Kafka(self.state_dir, port=self.port).stop()


@pytest.fixture
def private_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    """Not started: the test decides when. Stopped (by its recorded pid) at the end."""
    broker = PrivateBroker(tmp_path_factory.mktemp("private-kafka"), net.free_ports(1)[0])
    try:
        yield broker
    finally:
        broker.stop()

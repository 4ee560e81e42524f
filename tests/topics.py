"""Kafka topics for the tests: fresh names, events sent, and a topic read back whole.

kafka-python is imported where it is used: importing it warns on Python 3.11, and the
session's filter for that warning applies to tests, not to collecting a module.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

import pandas as pd

from tests.polling import poll


def unique_topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def send(bootstrap: str, topic: str, payloads: Iterable[dict | bytes]) -> int:
    """Each payload (a dict as JSON) as one message, all confirmed; how many."""
    return len(send_keyed(bootstrap, topic, ((None, p) for p in payloads)))


def send_keyed(bootstrap: str, topic: str,
               messages: Iterable[tuple[bytes | None, dict | bytes | None]]
               ) -> list[tuple[int, int]]:
    """Each (key, payload) as one message in this order (a dict as JSON, bytes as they
    are, None for no value), all confirmed; their (partition, offset)."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                             max_in_flight_requests_per_connection=1)
    try:
        futures = [producer.send(topic, value=payload if payload is None
                                 or isinstance(payload, bytes)
                                 else json.dumps(payload).encode(), key=key)
                   for key, payload in messages]
        producer.flush()
        return [(meta.partition, meta.offset) for meta in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close()


def read_topic(bootstrap: str, topic: str, timeout: float = 60.0) -> list:
    """Every message in `topic` up to its end offsets when called (ConsumerRecords),
    partition by partition in offset order: read until each partition's position reaches
    its end offset, so nothing is guessed from a quiet spell."""
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
            """Messages still to read (a producer may go on writing past the end offsets:
            those are left out); the consumer's poll is the wait."""
            left = sum(max(0, ends[tp] - consumer.position(tp)) for tp in partitions)
            if left:
                for tp, items in consumer.poll(timeout_ms=1000).items():
                    records[tp.partition].extend(r for r in items if r.offset < ends[tp])
            return left

        poll(f"every message of {topic} up to its end offsets", behind,
             until=lambda left: left == 0, timeout=timeout, interval=0,
             describe=lambda left: f"{left} messages still to read")
        return [r for p in sorted(records) for r in records[p]]
    finally:
        consumer.close()


def topic_events(bootstrap: str, topic: str) -> pd.DataFrame:
    """Every event in the topic up to its current end, with its partition and offset."""
    records = read_topic(bootstrap, topic)
    return pd.DataFrame([{**json.loads(r.value), "_partition": r.partition,
                          "_offset": r.offset} for r in records])


def count_in_topic(bootstrap: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return sum(consumer.end_offsets(partitions).values()) if partitions else 0
    finally:
        consumer.close()

"""The Kafka fixture is a real broker: topics, 20,000 JSON messages, a consumer group that
commits and resumes where it stopped."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.serializer import JsonSerializer

from services.infra.kafka import KafkaDetails
from tests.polling import poll

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

MESSAGES = 20_000
PARTITIONS = 3


def produce(bootstrap: str, topic: str, ids: range) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all",
                             value_serializer=JsonSerializer())
    try:
        for i in ids:
            producer.send(topic, key=str(i).encode(), value={"id": i, "amount": i * 0.5})
        producer.flush(timeout=60)
    finally:
        producer.close()


def consumer(bootstrap: str, topic: str, group: str) -> KafkaConsumer:
    return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                         auto_offset_reset="earliest", enable_auto_commit=False,
                         value_deserializer=JsonSerializer())


def poll_until(what: str, consumer: KafkaConsumer, done: Callable[[list[dict]], bool],
               timeout: float = 60.0) -> list[dict]:
    """Read from `consumer` until `done(values so far)`; the consumer's poll is the wait."""
    values: list[dict] = []

    def read() -> list[dict]:
        for records in consumer.poll(timeout_ms=500).values():
            values.extend(r.value for r in records)
        return values

    return poll(what, read, until=done, timeout=timeout, interval=0)


def test_topic_group_commit_and_resume(kafka_broker: KafkaDetails) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    topic, group = f"events-{uuid.uuid4().hex[:8]}", f"group-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        admin.close()

    produce(bootstrap, topic, range(MESSAGES))
    first = consumer(bootstrap, topic, group)
    try:
        values = poll_until(f"all {MESSAGES} messages", first,
                            lambda v: len(v) >= MESSAGES)
        first.commit()
        assert len(first.assignment()) == PARTITIONS
    finally:
        first.close()
    assert sorted(v["id"] for v in values) == list(range(MESSAGES))

    # Same group again: it starts at the committed offsets, so only new messages arrive.
    second = consumer(bootstrap, topic, group)
    try:
        poll_until("the group to assign every partition", second,
                   lambda _: len(second.assignment()) == PARTITIONS)
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = second.end_offsets(partitions)
        assert {tp: second.position(tp) for tp in partitions} == ends
        assert sum(ends.values()) == MESSAGES

        produce(bootstrap, topic, range(MESSAGES, MESSAGES + 5))
        fresh = poll_until("the 5 new messages", second, lambda v: len(v) >= 5)
    finally:
        second.close()
    assert sorted(v["id"] for v in fresh) == list(range(MESSAGES, MESSAGES + 5))


@pytest.mark.spark
def test_spark_reads_the_topic_through_the_cached_connector(spark, kafka_broker) -> None:
    """The connector jars (spark-kafka set of jvm/) load into the pinned pyspark and work."""
    topic = f"spark-{uuid.uuid4().hex[:8]}"
    produce(kafka_broker.bootstrap_servers, topic, range(50))
    frame = (spark.read.format("kafka")
             .option("kafka.bootstrap.servers", kafka_broker.bootstrap_servers)
             .option("subscribe", topic).option("startingOffsets", "earliest").load())
    ids = sorted(int(r.key) for r in frame.select("key").collect())
    assert ids == list(range(50))

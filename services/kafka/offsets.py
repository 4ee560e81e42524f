"""Where a fresh stream starts reading: the topic's end now, as Spark's startingOffsets.

`latest` is resolved when the query first runs, which on a cold JVM is many seconds after a
producer started at the same time: its first events would never be counted. The end offsets
read before the producer starts name exactly the first event it sends.
"""

from __future__ import annotations

import json

from kafka import KafkaConsumer, TopicPartition

from services.common.cli import quiet_kafka_client

EARLIEST = "earliest"  # a topic not made yet: everything it will hold is new


def starting_offsets(bootstrap: str, topic: str) -> str:
    """`{"topic": {"partition": offset, ...}}` at the topic's current end, or `earliest`."""
    with quiet_kafka_client():
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                 allow_auto_create_topics=False)
        try:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                return EARLIEST
            ends = consumer.end_offsets([TopicPartition(topic, p) for p in sorted(partitions)])
        finally:
            consumer.close()
    return json.dumps({topic: {str(tp.partition): offset for tp, offset in ends.items()}})

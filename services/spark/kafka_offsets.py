"""STARTING_OFFSETS=latest resolved once, before the queries start, so they all begin at the
same offsets.

Each query resolves `latest` on its own first trigger, seconds apart on a cold JVM: a message
sent meanwhile would be in the main query's ledger and not in the quarantine (or the other
way round). The topic's end offsets, read here through the Kafka client the Spark connector
ships (on the driver's classpath already), name one start for all of them. A checkpoint, once
there, decides where each query goes on; this only matters for a fresh one.
"""

from __future__ import annotations

import json

from pyspark.sql import SparkSession

LATEST, EARLIEST = "latest", "earliest"
TIMEOUT_MS = 30_000
DESERIALIZER = "org.apache.kafka.common.serialization.ByteArrayDeserializer"


def resolved_start(spark: SparkSession, bootstrap: str, topic: str, starting: str) -> str:
    """`starting` as given, unless it is `latest`: then Spark's offsets JSON of the topic's
    end now (`earliest` for a topic not made yet: everything it will hold is new)."""
    if starting.strip().lower() != LATEST:
        return starting
    ends = end_offsets(spark, bootstrap, topic)
    return json.dumps({topic: {str(p): o for p, o in sorted(ends.items())}}) if ends \
        else EARLIEST


def end_offsets(spark: SparkSession, bootstrap: str, topic: str) -> dict[int, int]:
    """The end offset of each partition of `topic` ({} when it has none)."""
    jvm = spark.sparkContext._jvm
    props = jvm.java.util.Properties()
    for key, value in {"bootstrap.servers": bootstrap, "key.deserializer": DESERIALIZER,
                       "value.deserializer": DESERIALIZER,
                       "allow.auto.create.topics": "false",
                       "default.api.timeout.ms": str(TIMEOUT_MS)}.items():
        props.put(key, value)
    consumer = jvm.org.apache.kafka.clients.consumer.KafkaConsumer(props)
    try:
        infos = consumer.partitionsFor(topic)
        if infos is None or infos.isEmpty():
            return {}
        partitions = jvm.java.util.ArrayList()
        for info in infos:
            partitions.add(jvm.org.apache.kafka.common.TopicPartition(topic, info.partition()))
        ends = consumer.endOffsets(partitions)
        return {int(tp.partition()): int(ends.get(tp)) for tp in partitions}
    finally:
        consumer.close()

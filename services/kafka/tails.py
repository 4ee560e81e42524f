"""The last messages of a topic's partitions, read back for --resume (services.kafka.resume)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from kafka import KafkaConsumer, TopicPartition

from services.common.cli import quiet_kafka_client

READ_TIMEOUT_S = 120.0  # without progress


def last_messages(bootstrap: str, topic: str, wanted: Mapping[int, int],
                  clock=time.monotonic) -> Iterator[tuple[int, bytes | None, bytes | None]]:
    """(partition, key, value) of up to `wanted[p]` last messages of each partition p, in
    offset order per partition; TimeoutError if the broker stops giving them."""
    with quiet_kafka_client():
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                 group_id=None, allow_auto_create_topics=False)
        try:
            parts = [TopicPartition(topic, p) for p in sorted(wanted)]
            begins, ends = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
            starts = {tp: max(begins[tp], ends[tp] - wanted[tp.partition]) for tp in parts}
            todo = {tp: ends[tp] for tp in parts if starts[tp] < ends[tp]}
            consumer.assign(list(todo))
            for tp in todo:
                consumer.seek(tp, starts[tp])
            deadline = clock() + READ_TIMEOUT_S
            while todo:
                batches = consumer.poll(timeout_ms=1000)
                for tp, records in batches.items():
                    for record in records:
                        if record.offset < todo.get(tp, -1):
                            yield tp.partition, record.key, record.value
                    deadline = clock() + READ_TIMEOUT_S
                for tp in [tp for tp, end in todo.items() if consumer.position(tp) >= end]:
                    del todo[tp]
                if clock() > deadline:
                    raise TimeoutError(f"topic {topic}: no messages from {bootstrap} for "
                                       f"{READ_TIMEOUT_S:.0f} s while reading its end back")
        finally:
            consumer.close()

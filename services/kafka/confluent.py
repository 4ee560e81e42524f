"""The librdkafka client (confluent-kafka), for sending as fast as the broker takes it.

The same guarantees as kafka-python's path (services.kafka.delivery): acks=all, idempotence
(no retried batch written twice, order kept per partition), at most --max-buffered messages
unconfirmed, every message counted once as delivered or failed. Keys go to the partition
that Java's client and kafka-python choose (murmur2), so both clients fill a topic alike.
librdkafka runs its network in its own threads; Python only hands it messages and counts
the delivery reports that `poll` serves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from confluent_kafka import KafkaError, KafkaException, Producer

from services.kafka.delivery import (
    BATCH_BYTES,
    LINGER_MS,
    WAIT_STEP,
    ClientOptions,
    ConnectError,
    Outbox,
    SendStalled,
    no_broker,
)

log = logging.getLogger("producer.delivery")
client_log = logging.getLogger("kafka.librdkafka")  # quiet_kafka_client silences "kafka"

ATTEMPT = 2.0  # seconds per metadata request while connecting


def config(options: ClientOptions, max_buffered: int) -> dict:
    delivery_ms = int(options.delivery_timeout * 1000)
    return {
        "bootstrap.servers": options.bootstrap_servers,
        "client.id": options.client_id,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": LINGER_MS,
        "batch.size": max(BATCH_BYTES, 1_000_000),
        "compression.type": options.compression,
        "message.timeout.ms": delivery_ms,
        "request.timeout.ms": min(30_000, max(1000, (delivery_ms - LINGER_MS) // 2)),
        "partitioner": "murmur2_random",  # Java's and kafka-python's choice for a key
        "queue.buffering.max.messages": max_buffered + 1,
        "reconnect.backoff.max.ms": 2000,
        "logger": client_log,
    }


def connect(options: ClientOptions, max_buffered: int, timeout: float,
            stop: threading.Event | None = None, clock=time.monotonic) -> Producer:
    """A producer whose cluster answered a metadata request within `timeout` seconds."""
    producer = Producer(config(options, max_buffered))
    deadline = clock() + timeout
    attempt = 0
    while True:
        try:
            producer.list_topics(timeout=min(ATTEMPT, max(0.5, deadline - clock())))
            return producer
        except KafkaException:
            attempt += 1
        left = deadline - clock()
        if left <= 0 or (stop is not None and stop.is_set()):
            producer.purge()
            producer.flush(0)
            raise no_broker(options.bootstrap_servers, timeout)
        log.info("Kafka at %s does not answer yet (attempt %d); retrying for up to %.0f s",
                 options.bootstrap_servers, attempt, left)


class ConfluentDelivery(Outbox):
    """Sends bytes to one topic through librdkafka and counts what the broker confirmed."""

    def __init__(self, producer: Producer, topic: str, max_buffered: int, servers: str,
                 max_block: float) -> None:
        super().__init__(topic, max_buffered, servers)
        self.producer = producer
        self.max_block = max_block

    idempotent = True  # librdkafka refuses to start when the broker cannot do it

    def prepare(self, clock: Callable[[], float] = time.monotonic) -> None:
        """The topic's partitions; asking for them makes a broker that auto-creates topics
        create it, which takes a few metadata rounds, so ask until max_block is up."""
        deadline = clock() + self.max_block
        while True:
            try:
                metadata = self.producer.list_topics(
                    self.topic, timeout=min(ATTEMPT, max(0.1, deadline - clock())))
                topic = metadata.topics.get(self.topic)
            except KafkaException:
                topic = None
            if topic is not None and topic.error is None and topic.partitions:
                break
            if clock() >= deadline:
                raise ConnectError(
                    f"topic {self.topic!r} is not available on {self.servers}: create it, "
                    "or let the broker create topics (auto.create.topics.enable)")
            self.producer.poll(0.1)
        self.partitions = frozenset(topic.partitions)
        log.info("topic %s: %d partition(s); acks=all, idempotence on (librdkafka)",
                 self.topic, len(self.partitions))

    @property
    def unconfirmed(self) -> int:
        return self.sent - self.delivered - self.failed

    def _report(self, error, _message) -> None:
        if error is None:
            self.delivered += 1
        else:
            self.count_failure(KafkaException(error))

    def send(self, keys: Sequence[bytes | None] | None, values: Sequence[bytes],
             stop: threading.Event | None = None) -> None:
        """Hand messages to librdkafka, then pause while too many are unconfirmed. A
        message it refuses (too large, say) counts as failed; a queue that stays full for
        the whole connect timeout stops the run with SendStalled."""
        produce, report, topic = self.producer.produce, self._report, self.topic
        for key, value in zip([None] * len(values) if keys is None else keys, values,
                              strict=True):
            self.sent += 1
            try:
                produce(topic, value, key, on_delivery=report)
            except BufferError:
                self._wait_for_room(key, value, stop)
            except KafkaException as exc:
                self.count_failure(exc)
        self.producer.poll(0)
        if self.unconfirmed > self.max_buffered:
            self.wait_until(lambda: self.unconfirmed <= self.max_buffered, stop)

    def _wait_for_room(self, key: bytes | None, value: bytes, stop: threading.Event | None,
                       clock: Callable[[], float] = time.monotonic) -> None:
        deadline = clock() + self.max_block
        while True:
            self.producer.poll(WAIT_STEP)
            try:
                return self.producer.produce(self.topic, value, key, on_delivery=self._report)
            except BufferError:
                if clock() >= deadline or (stop is not None and stop.is_set()):
                    self.count_failure(RuntimeError("the client's queue stayed full"))
                    raise SendStalled(f"the client could not take more messages for "
                                      f"{self.topic} within {self.max_block:g} s") from None
                self.log_waiting(clock(), self.unconfirmed)
            except KafkaException as exc:
                return self.count_failure(exc)

    def wait_until(self, done: Callable[[], bool], stop: threading.Event | None,
                   clock: Callable[[], float] = time.monotonic) -> bool:
        """Serve delivery reports until `done()`; False when stopped first."""
        while not done():
            if stop is not None and stop.is_set():
                return False
            if not self.producer.poll(WAIT_STEP):
                self.log_waiting(clock(), self.unconfirmed)
        return True

    def close(self, timeout: float, abort: threading.Event | None = None,
              clock: Callable[[], float] = time.monotonic) -> None:
        """Flush: wait up to `timeout` for every confirmation (less if `abort` is set);
        what is still unconfirmed then is purged, and each purged message counts as
        failed through its delivery report."""
        deadline = clock() + timeout
        while self.unconfirmed and not (abort is not None and abort.is_set()) \
                and clock() < deadline:
            if self.producer.flush(WAIT_STEP):
                self.log_waiting(clock(), self.unconfirmed)
        self.abort()

    def abort(self) -> None:
        """Drop what is not confirmed yet (each counts as failed) without waiting."""
        if self.unconfirmed:
            self.producer.purge()
            self.producer.flush(0)
        left = self.unconfirmed  # reports not served by now never come
        if left > 0:
            for _ in range(left):
                self.count_failure(KafkaException(KafkaError(KafkaError._PURGE_QUEUE)))


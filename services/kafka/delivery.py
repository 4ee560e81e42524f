"""The Kafka client side: connecting, keyed sends, bounded buffering, delivery accounting.

Settings for a dependable stream: acks=all, unlimited retries within --delivery-timeout,
idempotence (kafka-python turns it on by default for brokers that support it: a retried
batch is never written twice), at most 5 requests in flight (which idempotence needs to
keep order). kafka-python's buffer has no size limit, so the producer bounds it itself:
every send's future waits in a queue until the broker answers, and sending pauses while
--max-buffered of them are unanswered. Futures are checked in send order, which is how each
one is counted as delivered or failed exactly once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError
from kafka.partitioner import DefaultPartitioner, murmur2

log = logging.getLogger("producer.delivery")

LINGER_MS = 5
BATCH_BYTES = 256 * 1024
FAILURES_LOGGED = 10
WAIT_STEP = 0.25  # seconds between checks of a stop request while waiting on the broker
ATTEMPT_TIMEOUTS = (2.0, 4.0, 8.0)  # per connection attempt; the last one repeats


class ConnectError(RuntimeError):
    """No broker answered within the connect timeout."""


class SendStalled(RuntimeError):
    """The client blocked on a send for its whole max_block time: the run cannot go on."""


class KeyHashPartitioner(DefaultPartitioner):
    """The default partitioner's choice (murmur2 of the key, as the Java client does), with
    each key's hash remembered: kafka-python computes murmur2 in Python on every send, and
    keys (a dimension's values) repeat."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._hashes: dict[bytes, int] = {}

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
        if serialized_key is None:
            return super().partition(topic, key, serialized_key, value, serialized_value,
                                     cluster)
        hashed = self._hashes.get(serialized_key)
        if hashed is None:
            if len(self._hashes) >= self.MAX_KEYS:
                self._hashes.clear()
            hashed = self._hashes[serialized_key] = key_hash(serialized_key)
        partitions = cluster.partitions_for_topic(topic)
        if partitions is None:
            raise ValueError(f"topic {topic} not found in the cluster metadata")
        return partition_of(hashed, partitions)


def key_hash(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF


def partition_of(hashed: int, partitions: Collection[int]) -> int:
    """The partition of a key's hash among the topic's partitions (as Java's client)."""
    chosen = hashed % len(partitions)
    return chosen if chosen in partitions else sorted(partitions)[chosen]


@dataclass(frozen=True)
class ClientOptions:
    bootstrap_servers: str
    delivery_timeout: float
    max_block: float
    client_id: str = "kafka-event-producer"
    compression: str = "none"  # none, gzip, snappy, lz4, zstd

    def config(self) -> dict:
        delivery_ms = int(self.delivery_timeout * 1000)
        return {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "client_id": self.client_id,
            "acks": "all",
            "linger_ms": LINGER_MS,
            "batch_size": BATCH_BYTES,
            "delivery_timeout_ms": delivery_ms,
            "request_timeout_ms": min(30_000, (delivery_ms - LINGER_MS) // 2),
            "max_block_ms": int(self.max_block * 1000),
            "reconnect_backoff_max_ms": 2000,
            "partitioner": KeyHashPartitioner(),
            "compression_type": None if self.compression == "none" else self.compression,
        }


def no_broker(servers: str, timeout: float) -> ConnectError:
    return ConnectError(f"no Kafka broker answered at {servers} within {timeout:g} s; check "
                        "that it is running and reachable, and --bootstrap-servers / "
                        "KAFKA_BOOTSTRAP_SERVERS (retry time: --connect-timeout / "
                        "KAFKA_CONNECT_TIMEOUT)")


def connect(options: ClientOptions, timeout: float, stop: threading.Event | None = None,
            clock=time.monotonic) -> KafkaProducer:
    """A producer connected to the cluster, retrying with growing waits for `timeout`
    seconds; ConnectError names the servers when none answered."""
    deadline = clock() + timeout
    attempt = 0
    while True:
        window = min(ATTEMPT_TIMEOUTS[min(attempt, len(ATTEMPT_TIMEOUTS) - 1)],
                     max(0.5, deadline - clock()))
        try:
            return KafkaProducer(bootstrap_timeout_ms=int(window * 1000), **options.config())
        except KafkaTimeoutError:
            attempt += 1
        left = deadline - clock()
        if left <= 0 or (stop is not None and stop.is_set()):
            raise no_broker(options.bootstrap_servers, timeout)
        log.info("Kafka at %s does not answer yet (attempt %d); retrying for up to %.0f s",
                 options.bootstrap_servers, attempt, left)


class Outbox:
    """A client's side of one topic: what each client class writes is how it prepares,
    sends, waits and closes; kept here are the messages handed over, confirmed and failed
    (each counted once), the first failure, and the topic's partitions once prepared."""

    def __init__(self, topic: str, max_buffered: int, servers: str) -> None:
        self.topic = topic
        self.max_buffered = max_buffered
        self.servers = servers
        self.sent = self.delivered = self.failed = 0
        self.first_error: BaseException | None = None
        self._last_wait_log = 0.0
        self.partitions: frozenset[int] = frozenset()

    def count_failure(self, error: BaseException) -> None:
        self.failed += 1
        if self.first_error is None:
            self.first_error = error
        if self.failed <= FAILURES_LOGGED:
            log.error("a message to %s could not be delivered: %s", self.topic, error)
        elif self.failed % 10_000 == 0:
            log.error("%d messages could not be delivered so far", self.failed)

    def log_waiting(self, now: float, unconfirmed: int) -> None:
        if now - self._last_wait_log >= 5.0:
            self._last_wait_log = now
            log.warning("waiting for the broker at %s to confirm %d messages",
                        self.servers, unconfirmed)

    def prepare(self) -> None:
        raise NotImplementedError

    def send(self, keys: Sequence[bytes | None] | None, values: Sequence[bytes],
             stop: threading.Event | None = None) -> None:
        raise NotImplementedError

    def close(self, timeout: float, abort: threading.Event | None = None) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class Delivery(Outbox):
    """Sends bytes to one topic through kafka-python and counts what the broker confirmed."""

    def __init__(self, producer: KafkaProducer, topic: str, max_buffered: int) -> None:
        servers = producer.config["bootstrap_servers"]
        super().__init__(topic, max_buffered,
                         servers if isinstance(servers, str) else ",".join(servers))
        self.producer = producer
        self.pending: deque = deque()

    @property
    def idempotent(self) -> bool:
        return bool(self.producer.config.get("enable_idempotence"))

    def prepare(self) -> None:
        """Fetch the topic's metadata (creating it where the broker auto-creates topics), so
        a missing topic fails here with a clear message, not on the first send."""
        try:
            partitions = self.producer.partitions_for(self.topic)
        except KafkaTimeoutError:
            raise ConnectError(
                f"topic {self.topic!r} is not available on "
                f"{self.servers}: create it, or let the broker "
                "create topics (auto.create.topics.enable)") from None
        self.partitions = frozenset(partitions)
        log.info("topic %s: %d partition(s); acks=all, idempotence %s", self.topic,
                 len(partitions), "on" if self.idempotent else "off (the broker is too old)")

    def send(self, keys: Sequence[bytes | None] | None, values: Sequence[bytes],
             stop: threading.Event | None = None) -> None:
        """Hand messages to the client, then pause while too many are unconfirmed. A message
        the client refuses outright (too large, say) counts as failed; a client that cannot
        take any (no metadata within max_block) stops the run with SendStalled."""
        for key, value in zip([None] * len(values) if keys is None else keys, values,
                              strict=True):
            self.sent += 1
            try:
                self.pending.append(self.producer.send(self.topic, value, key))
            except KafkaTimeoutError as exc:
                self.count_failure(exc)
                raise SendStalled(f"the client could not take more messages for "
                                  f"{self.topic}: {exc}") from None
            except KafkaError as exc:
                self.count_failure(exc)
        self.reap()
        if len(self.pending) > self.max_buffered:
            self.wait_until(lambda: len(self.pending) <= self.max_buffered, stop)

    def reap(self) -> None:
        """Count the confirmed (or failed) messages at the head of the queue."""
        pending = self.pending
        while pending and pending[0].is_done:
            future = pending.popleft()
            if future.exception is None:
                self.delivered += 1
            else:
                self.count_failure(future.exception)

    def wait_until(self, done: Callable[[], bool], stop: threading.Event | None,
                   clock: Callable[[], float] = time.monotonic) -> bool:
        """Wait on the oldest unconfirmed message until `done()`; False when stopped first."""
        while not done():
            if stop is not None and stop.is_set():
                return False
            head = self.pending[0]
            try:
                head.get(timeout=WAIT_STEP)
            except KafkaTimeoutError:
                if not head.is_done:
                    self.log_waiting(clock(), len(self.pending))
            except Exception:  # a failed message: reap counts it
                pass
            self.reap()
        return True

    def close(self, timeout: float, abort: threading.Event | None = None,
              clock: Callable[[], float] = time.monotonic) -> None:
        """Flush and close: wait up to `timeout` for every confirmation (less if `abort` is
        set); whatever is still unconfirmed then counts as failed."""
        deadline = clock() + timeout
        while self.pending and not (abort is not None and abort.is_set()) \
                and clock() < deadline:
            try:
                self.producer.flush(timeout=WAIT_STEP)
            except KafkaTimeoutError:
                self.log_waiting(clock(), len(self.pending))
            self.reap()
        unconfirmed = bool(self.pending)
        self.producer.close(timeout=0 if unconfirmed else 5)
        while self.pending:  # a forced close fails what is left; count every one once
            future = self.pending.popleft()
            if future.is_done and future.exception is None:
                self.delivered += 1
            else:
                self.count_failure(future.exception if future.is_done else
                                    RuntimeError("no answer from the broker before closing"))

    def abort(self) -> None:
        """Close without waiting; whatever is unconfirmed counts as failed."""
        self.close(0)

"""Delivery accounting and bounded buffering against a scripted client, and the partitioner
against kafka-python's own. (The real broker is in test_broker.py.)"""

from __future__ import annotations

import threading

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, RequestTimedOutError
from kafka.partitioner import DefaultPartitioner

from services.kafka.delivery import Delivery, KeyHashPartitioner, SendStalled


class Future:
    """What Delivery reads of a kafka-python future."""

    def __init__(self) -> None:
        self.is_done = False
        self.exception: BaseException | None = None

    def resolve(self, error: BaseException | None = None) -> None:
        self.exception, self.is_done = error, True

    def get(self, timeout: float) -> None:
        if not self.is_done:
            raise KafkaTimeoutError("not yet")
        if self.exception is not None:
            raise self.exception


class Client:
    """Answers sends as told: futures resolve when `confirm` is called (or on get)."""

    def __init__(self, refuse: dict[bytes, Exception] | None = None) -> None:
        self.config = {"bootstrap_servers": ["127.0.0.1:1"], "enable_idempotence": True}
        self.futures: list[Future] = []
        self.sent: list[tuple[bytes | None, bytes]] = []
        self.refuse = refuse or {}
        self.closed_with: float | None = None
        self.answer_on_wait = True

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> Future:
        if value in self.refuse:
            raise self.refuse[value]
        self.sent.append((key, value))
        future = Future()
        self.futures.append(future)
        return future

    def confirm(self, count: int, error: BaseException | None = None) -> None:
        for future in [f for f in self.futures if not f.is_done][:count]:
            future.resolve(error)

    def flush(self, timeout: float) -> None:
        if self.answer_on_wait:
            self.confirm(len(self.futures))
        else:
            raise KafkaTimeoutError("broker away")

    def close(self, timeout: float) -> None:
        self.closed_with = timeout
        for future in self.futures:
            if not future.is_done:
                future.resolve(RuntimeError("Producer is closed forcefully."))


def test_every_message_is_counted_once_as_delivered_or_failed():
    client = Client()
    delivery = Delivery(client, "t", max_buffered=100)  # type: ignore[arg-type]
    delivery.send([b"k1", b"k2", None], [b"a", b"b", b"c"])
    client.confirm(1)
    client.confirm(1, RequestTimedOutError("expired"))
    delivery.reap()
    assert (delivery.sent, delivery.delivered, delivery.failed) == (3, 1, 1)
    delivery.close(timeout=5)
    assert (delivery.delivered, delivery.failed, len(delivery.pending)) == (2, 1, 0)
    assert client.sent == [(b"k1", b"a"), (b"k2", b"b"), (None, b"c")]
    assert client.closed_with == 5


def test_sending_pauses_while_too_many_are_unconfirmed():
    client = Client()
    delivery = Delivery(client, "t", max_buffered=10)  # type: ignore[arg-type]
    delivery.send(None, [b"x"] * 10)
    assert len(delivery.pending) == 10  # at the bound: no wait yet
    timer = threading.Timer(0.3, client.confirm, args=(5,))
    timer.start()
    delivery.send(None, [b"y"] * 3)  # 13 > 10: blocks until the broker confirms 5
    timer.join()
    assert len(delivery.pending) == 8 and delivery.delivered == 5


def test_a_stop_request_ends_the_wait_and_close_counts_the_unanswered_as_failed():
    client = Client()
    client.answer_on_wait = False
    delivery = Delivery(client, "t", max_buffered=2)  # type: ignore[arg-type]
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    delivery.send(None, [b"x"] * 5, stop)  # returns once stopped, though nothing confirmed
    assert delivery.delivered == 0
    abort = threading.Event()
    abort.set()
    delivery.close(timeout=60, abort=abort)  # a second signal: do not wait for the broker
    assert (delivery.sent, delivery.delivered, delivery.failed) == (5, 0, 5)
    assert client.closed_with == 0


def test_refused_messages_fail_alone_but_a_stalled_client_stops_the_run():
    client = Client(refuse={b"big": MessageSizeTooLargeError("too big"),
                            b"stuck": KafkaTimeoutError("no metadata")})
    delivery = Delivery(client, "t", max_buffered=100)  # type: ignore[arg-type]
    delivery.send(None, [b"a", b"big", b"b"])
    assert (delivery.sent, delivery.failed, len(client.sent)) == (3, 1, 2)
    with pytest.raises(SendStalled, match="could not take more messages"):
        delivery.send(None, [b"c", b"stuck", b"never"])
    assert (delivery.sent, delivery.failed, len(client.sent)) == (5, 2, 3)


class Cluster:
    def __init__(self, partitions: int) -> None:
        self.count = partitions

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))


@pytest.mark.parametrize("partitions", [1, 3, 12])
def test_partitioner_picks_what_kafka_python_and_java_pick(partitions):
    cluster, ours, theirs = Cluster(partitions), KeyHashPartitioner(), DefaultPartitioner()
    keys = [f"key-{i}".encode() for i in range(200)] + ["Zürich".encode(), b""]
    for _ in range(2):  # the second round comes from the cache
        for key in keys:
            assert ours.partition("t", key, key, None, None, cluster) == \
                theirs.partition("t", key, key, None, None, cluster)

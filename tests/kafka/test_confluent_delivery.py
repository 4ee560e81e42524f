"""librdkafka's delivery accounting against a scripted client: each message counted once,
bounded buffering, a full queue, refusals, purges on close. (The real broker: test_clients.)"""

from __future__ import annotations

import threading

import pytest
from confluent_kafka import KafkaError, KafkaException

from services.kafka import confluent
from services.kafka.confluent import ConfluentDelivery
from services.kafka.delivery import ClientOptions, SendStalled


class Client:
    """Queues messages; delivery reports are served by poll/flush as told."""

    def __init__(self, room: int = 1_000_000, refuse: bytes | None = None) -> None:
        self.queue: list = []  # (callback, value) not yet reported
        self.sent: list[tuple[bytes | None, bytes]] = []
        self.room, self.refuse = room, refuse
        self.answer = True
        self.fail_next = 0
        self.purged = False

    def produce(self, topic, value, key=None, on_delivery=None):
        if value == self.refuse:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        if len(self.queue) >= self.room:
            raise BufferError("queue full")
        self.sent.append((key, value))
        self.queue.append((on_delivery, value))

    def poll(self, timeout: float) -> int:
        if not self.answer and not self.purged:
            return 0
        served, self.queue = self.queue, []
        for callback, _ in served:
            if self.purged:
                callback(KafkaError(KafkaError._PURGE_QUEUE), None)
            elif self.fail_next:
                self.fail_next -= 1
                callback(KafkaError(KafkaError._MSG_TIMED_OUT), None)
            else:
                callback(None, None)
        return len(served)

    def flush(self, timeout: float) -> int:
        self.poll(timeout)
        return len(self.queue)

    def purge(self) -> None:
        self.purged = True


def delivery(client: Client, max_buffered: int = 100, max_block: float = 0.5):
    return ConfluentDelivery(client, "t", max_buffered, "127.0.0.1:1", max_block)


def test_every_message_is_counted_once_as_delivered_or_failed():
    client = Client()
    client.fail_next = 2
    out = delivery(client)
    out.send([b"k1", b"k2", None], [b"a", b"b", b"c"])
    out.send(None, [b"d"])
    out.close(5)
    assert client.sent == [(b"k1", b"a"), (b"k2", b"b"), (None, b"c"), (None, b"d")]
    assert (out.sent, out.delivered, out.failed) == (4, 2, 2)
    assert "timed out" in str(out.first_error).lower()


def test_sending_pauses_while_too_many_are_unconfirmed_and_a_stop_ends_the_wait():
    client = Client()
    client.answer = False
    out = delivery(client, max_buffered=3)
    stop = threading.Event()
    stop.set()
    out.send(None, [b"1", b"2", b"3", b"4"], stop)  # waits, sees the stop, returns
    assert out.unconfirmed == 4
    out.close(0.2)  # no answers in time: purged, each counted once as failed
    assert (out.sent, out.delivered, out.failed) == (4, 0, 4)


def test_a_refused_message_fails_alone():
    client = Client(refuse=b"huge")
    out = delivery(client)
    out.send(None, [b"a", b"huge", b"b"])
    out.close(5)
    assert (out.sent, out.delivered, out.failed) == (3, 2, 1)


def test_a_queue_that_stays_full_stops_the_run():
    client = Client(room=2)
    client.answer = False
    out = delivery(client, max_buffered=100, max_block=0.3)
    with pytest.raises(SendStalled, match=r"within 0\.3 s"):
        out.send(None, [b"a", b"b", b"c"])
    out.abort()
    assert out.sent == 3 and out.delivered == 0 and out.failed == 3


def test_a_full_queue_that_drains_loses_nothing():
    client = Client(room=2)
    out = delivery(client)
    out.send(None, [b"a", b"b", b"c", b"d", b"e"])
    out.close(5)
    assert [v for _, v in client.sent] == [b"a", b"b", b"c", b"d", b"e"]
    assert (out.sent, out.delivered, out.failed) == (5, 5, 0)


@pytest.mark.parametrize("compression", ["none", "lz4", "zstd"])
def test_client_settings_keep_the_guarantees(compression):
    options = ClientOptions("127.0.0.1:1", delivery_timeout=30, max_block=5,
                            compression=compression)
    conf = confluent.config(options, max_buffered=500)
    assert conf["acks"] == "all" and conf["enable.idempotence"] is True
    assert conf["partitioner"] == "murmur2_random"
    assert conf["compression.type"] == compression
    assert conf["message.timeout.ms"] == 30_000
    assert conf["queue.buffering.max.messages"] > 500
    kafka_python = options.config()
    assert kafka_python["compression_type"] == (None if compression == "none" else compression)

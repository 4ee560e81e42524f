"""The send loop and stop requests, with a recording stand-in for the Kafka client."""

from __future__ import annotations

import json
import os
import signal
import threading

import numpy as np
import pyarrow as pa

from services.common.signals import StopSignals
from services.kafka.cli import stop_signals
from services.kafka.events import Part, Slot, assemble, iso_now
from services.kafka.replay import Chunk
from services.kafka.runner import Limits, Totals, run
from services.kafka.schedule import RatePacer


class FakeClock:
    """Time that moves only when the runner waits: a run's length and count depend on the
    schedule alone, never on how busy the machine is."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now


class ClockedEvent(threading.Event):
    """A stop event whose timed wait advances the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None and timeout > 0, "the runner must never wait unbounded"
        if not self.is_set():
            self.clock.waits.append(timeout)
            self.clock.now += timeout
        return self.is_set()


class Recorder:
    """Counts like Delivery, confirms everything at once."""

    def __init__(self, stop_after: int | None = None, request: StopSignals | None = None):
        self.values: list[bytes] = []
        self.keys: list[bytes | None] = []
        self.sent = self.delivered = self.failed = 0
        self.first_error = None
        self.closed = False
        self.stop_after, self.request = stop_after, request

    def send(self, keys, values, stop=None) -> None:
        self.values += values
        self.keys += keys if keys is not None else [None] * len(values)
        self.sent = self.delivered = len(self.values)
        if self.stop_after and self.sent >= self.stop_after and self.request:
            self.request.handle(signal.SIGTERM)

    def close(self, timeout, abort=None) -> None:
        self.closed = True


def numbered(count: int) -> Chunk:
    ids = [str(i) for i in range(count)]
    fragments = pa.array([json.dumps(i) for i in ids])  # JSON strings
    events = assemble([Part("id", fragments), Part("event_time", None)], [Slot(iso_now)],
                      pa.array(ids, pa.binary()), count)
    return Chunk(events)


def test_sends_every_chunk_in_order_then_closes():
    recorder, request = Recorder(), stop_signals()
    chunks = [numbered(5000), Chunk(numbered(3).events, np.array([2, 0, 1]))]
    totals = run(chunks, RatePacer(0, 0.0), recorder, request, Limits())  # type: ignore[arg-type]
    ids = [json.loads(v)["id"] for v in recorder.values]
    assert ids == [str(i) for i in range(5000)] + ["2", "0", "1"]
    assert recorder.keys[:2] == [b"0", b"1"] and recorder.closed
    assert (totals.sent, totals.delivered, totals.failed) == (5003, 5003, 0)
    assert totals.line().startswith("totals: sent=5003 delivered=5003 failed=0 seconds=")


def test_limits_end_the_run():
    recorder = Recorder()
    run([numbered(10_000)], RatePacer(0, 0.0), recorder, stop_signals(),  # type: ignore[arg-type]
        Limits(max_events=1234))
    assert len(recorder.values) == 1234


def test_a_duration_ends_the_run_on_the_rate_schedule():
    """64 events/s for 0.5 s: events due at 0, 1/64, ..., 31/64 s go, the one due at 0.5 s
    does not. Binary fractions keep the clock arithmetic exact."""
    clock, recorder = FakeClock(), Recorder()
    request = stop_signals()
    request.requested = ClockedEvent(clock)
    totals = run(iter(lambda: numbered(10), None), RatePacer(64, 0.0), recorder,  # endless
                 request, Limits(duration=0.5), clock=clock)  # type: ignore[arg-type]
    assert totals.sent == len(recorder.values) == 32
    assert totals.seconds == 0.5 and totals.rate == 64.0
    assert clock.waits == [1 / 64] * 32  # one wait per event, none longer than the gap


def test_a_stop_request_ends_sending_and_still_closes():
    request = stop_signals()
    recorder = Recorder(stop_after=100, request=request)
    totals = run(iter(lambda: numbered(10), None), RatePacer(0, 0.0), recorder, request,
                 Limits())  # type: ignore[arg-type]
    assert totals.sent == 100 and recorder.closed
    assert request.exit_code == 0


def test_the_producers_second_signal_stops_the_wait_for_the_broker(caplog):
    previous = signal.getsignal(signal.SIGTERM)
    with stop_signals() as request:
        os.kill(os.getpid(), signal.SIGINT)
        assert request.requested.is_set() and not request.repeated.is_set()
        os.kill(os.getpid(), signal.SIGTERM)  # at once: no gap asked of a person insisting
        assert request.repeated.is_set()
    assert request.exit_code == 130  # the first signal decides
    assert signal.getsignal(signal.SIGTERM) is previous
    assert "SIGINT: stopping; flushing what was sent" in caplog.text
    assert "SIGTERM again: no longer waiting" in caplog.text


def test_rate_is_reported_per_second():
    assert Totals(100, 100, 0, 4.0).rate == 25.0 and Totals(0, 0, 0, 0.0).rate == 0.0

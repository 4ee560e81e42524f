"""The send loop: chunks of events from a source, paced, rendered a slice at a time with the
send time, handed to delivery; then flush, close and count."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from services.common.signals import StopSignals
from services.kafka.answers import Recorder
from services.kafka.chunks import Chunk, render_items
from services.kafka.delivery import Outbox, SendStalled
from services.kafka.poisons import PoisonShape
from services.kafka.schedule import MAX_SLICE, Allowance
from services.kafka.wire import EncodeError, WireFormat
from services.schema import MALFORMED_KINDS

log = logging.getLogger("producer")

WAIT_STEP = 0.25  # longest sleep between checks of a stop request
REPORT_EVERY = 10.0


class Pacer(Protocol):
    start: float
    skipped: int

    def allowance(self, now: float, sent: int,
                  upcoming: np.ndarray | None = None) -> Allowance: ...


@dataclass(frozen=True)
class Totals:
    sent: int
    delivered: int
    failed: int
    seconds: float
    behind: int = 0  # events the rate schedule skipped after a stall
    error: str | None = None  # why the run stopped early, if it did
    first_failure: str | None = None  # the first delivery error

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (f"totals: sent={self.sent} delivered={self.delivered} failed={self.failed} "
                f"seconds={self.seconds:.2f} rate={self.rate:.1f}/s")


@dataclass(frozen=True)
class Outlet:
    """What a slice becomes besides its events: poison messages of these kinds, made for
    payloads of this shape, the expected answer's count when a recorder is set, and the
    wire format of Avro or JSON Schema events."""

    shape: PoisonShape = field(default_factory=lambda: PoisonShape((), ()))
    kinds: tuple[str, ...] = MALFORMED_KINDS
    recorder: Recorder | None = None
    wire: WireFormat | None = None  # None: JSON


@dataclass(frozen=True)
class Limits:
    max_events: int | None = None
    duration: float | None = None
    close_timeout: float = 120.0


def run(chunks: Iterable[Chunk], pacer: Pacer, delivery: Outbox, request: StopSignals,
        limits: Limits, clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time, outlet: Outlet = Outlet()) -> Totals:
    """Send until the source ends, a limit is reached or a stop is requested; then flush,
    close and count."""
    start = clock()
    pacer.start = start
    error = None
    try:
        _send_all(chunks, pacer, delivery, request, limits, start, clock, wall, outlet)
    except (SendStalled, EncodeError) as exc:
        error = str(exc)
        log.error("%s", error)
    except BaseException:
        delivery.close(0, request.repeated)  # an unexpected failure: do not wait on the broker
        raise
    delivery.close(limits.close_timeout, request.repeated)
    if pacer.skipped:
        log.warning("the producer fell behind the rate schedule; %d events' worth of "
                    "schedule were skipped", pacer.skipped)
    first = delivery.first_error
    return Totals(delivery.sent, delivery.delivered, delivery.failed, clock() - start,
                  pacer.skipped, error,
                  None if first is None else f"{type(first).__name__}: {first}")


def _send_all(chunks: Iterable[Chunk], pacer: Pacer, delivery: Outbox, request: StopSignals,
              limits: Limits, start: float, clock: Callable[[], float],
              wall: Callable[[], float], outlet: Outlet) -> None:
    deadline = start + limits.duration if limits.duration else math.inf
    budget = limits.max_events if limits.max_events is not None else math.inf
    sent = 0
    next_report = start + REPORT_EVERY
    for chunk in chunks:
        at_ms = chunk.send_ms
        cursor = 0
        while cursor < chunk.size:
            now = clock()
            if request.requested.is_set() or sent >= budget or now >= deadline:
                return
            step = MAX_SLICE
            upcoming = None if at_ms is None else at_ms[cursor:cursor + step]
            allowance = pacer.allowance(now, sent, upcoming)
            if allowance.count <= 0:
                request.requested.wait(min(allowance.wait, WAIT_STEP, deadline - now))
                continue
            count = int(min(allowance.count, step, chunk.size - cursor, budget - sent))
            now_s = int(wall())
            keys, values = render_items(chunk, cursor, cursor + count, now_s, outlet.shape,
                                        outlet.kinds, outlet.wire)
            delivery.send(keys, values, request.requested)
            if outlet.recorder is not None:
                outlet.recorder.record(chunk, cursor, cursor + count, now_s)
            sent += count
            cursor += count
            if now >= next_report:
                next_report = now + REPORT_EVERY
                _report(delivery, now - start)


def _report(delivery: Outbox, elapsed: float) -> None:
    log.info("sent %d, delivered %d, failed %d (%.1f events/s)", delivery.sent,
             delivery.delivered, delivery.failed, delivery.sent / max(elapsed, 1e-9))

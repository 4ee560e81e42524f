"""Pacing: how many events may go now, or how long to wait. Pure arithmetic on a clock
reading, so it is tested without sleeping.

A rate is a schedule, not a sleep per message: event n is due at start + n / rate, so
sleeps never add up to drift and a slow moment is caught up. Catch-up is capped at one
second's worth of events: after a longer stall (a broker that was away) the schedule moves
forward instead of firing the whole backlog at once, and the shortfall shows in the
achieved rate. Both pacers read the run's time through a `Timeline`, which is how bursts
and pauses change the pace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from services.kafka.timeline import Timeline

SLICE_SECONDS = 0.02  # at a set rate, events leave in groups of this many seconds' worth
MAX_SLICE = 2048  # at most this many events rendered and handed to the client per step
UNLIMITED = 1 << 62


@dataclass(frozen=True)
class Allowance:
    count: int  # events that may be sent now
    wait: float  # else seconds until the next one is due


@dataclass
class RatePacer:
    """Events at a fixed rate per second; rate <= 0 means no limit. Event n is due at
    start + n / rate; once one is due, the rest of its group (SLICE_SECONDS' worth) goes
    with it, so a group leaves at most SLICE_SECONDS early and the loop does not wake up
    for every single event at high rates."""

    rate: float
    start: float
    max_lag: float = 1.0
    skipped: int = 0  # events' worth of schedule given up after stalls
    timeline: Timeline = field(default_factory=Timeline)
    shift: float = 0.0  # schedule seconds given up after stalls

    @property
    def group(self) -> int:
        return max(1, min(MAX_SLICE, int(self.rate * SLICE_SECONDS)))

    def allowance(self, now: float, sent: int, upcoming: np.ndarray | None = None) -> Allowance:
        if self.rate <= 0:
            return Allowance(UNLIMITED, 0.0)
        run = now - self.start
        elapsed = (self.timeline.schedule(run) - self.shift) * self.rate  # events due
        due = math.floor(elapsed + 1e-9) + 1 - sent
        if due <= 0:
            return Allowance(0, self.timeline.wall_wait(run, (sent - elapsed) / self.rate))
        burst = max(1, math.ceil(self.rate * self.max_lag))
        if due > burst:
            self.shift += (due - burst) / self.rate
            self.skipped += due - burst
            due = burst
        return Allowance(due + self.group - 1, 0.0)


@dataclass
class ScaledPacer:
    """Events at their own times on a clock running `scale` times faster than real time:
    an event stamped `at_ms` is due at start + (at_ms - anchor_ms) / 1000 / scale."""

    scale: float
    start: float
    anchor_ms: int
    skipped: int = 0
    timeline: Timeline = field(default_factory=Timeline)

    def clock_ms(self, now: float) -> float:
        return self.anchor_ms + self.timeline.schedule(now - self.start) * 1000.0 * self.scale

    def allowance(self, now: float, sent: int, upcoming: np.ndarray | None = None) -> Allowance:
        """`upcoming`: the event times (ms, ascending) of the next events."""
        if upcoming is None or not len(upcoming):
            return Allowance(UNLIMITED, 0.0)
        clock = self.clock_ms(now)
        due = int(np.searchsorted(upcoming, clock, side="right"))
        if due:
            return Allowance(due, 0.0)
        wait = (float(upcoming[0]) - clock) / 1000.0 / self.scale
        return Allowance(0, self.timeline.wall_wait(now - self.start, wait))

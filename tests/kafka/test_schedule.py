"""Pacing maths on a simulated clock: a rate without drift, catch-up capped, the scaled
event clock."""

from __future__ import annotations

import numpy as np
import pytest

from services.kafka.schedule import MAX_SLICE, SLICE_SECONDS, UNLIMITED, RatePacer, ScaledPacer


def simulate(pacer: RatePacer, seconds: float, step_cost: float = 0.0) -> list[float]:
    """Send times of every event over `seconds`: the loop the runner runs, with a clock
    that advances only by waiting or by `step_cost` per send step."""
    now, sent, times = pacer.start, 0, []
    while now < pacer.start + seconds:
        allowance = pacer.allowance(now, sent)
        if allowance.count == 0:
            assert allowance.wait > 0
            now += allowance.wait
            continue
        count = min(allowance.count, MAX_SLICE)
        times += [now] * count
        sent += count
        now += step_cost
    return times


@pytest.mark.parametrize("rate", [0.5, 5, 333, 20_000])
def test_rate_holds_exactly_over_time_without_drift(rate):
    pacer = RatePacer(rate, start=100.0)
    times = np.asarray(simulate(pacer, 60.0))
    assert len(times) == pytest.approx(rate * 60, abs=1 + rate * SLICE_SECONDS)
    # event n leaves at its due time start + n / rate, at most one group early
    due = 100.0 + np.arange(len(times)) / rate
    assert np.all(times >= due - SLICE_SECONDS - 1e-9)
    assert np.all(times <= due + 1e-9)
    assert pacer.skipped == 0


def test_a_slow_sender_catches_up_without_losing_the_rate():
    # each step costs 30 ms; at 1000/s the pacer lets bigger groups go to keep up
    times = simulate(RatePacer(1000, start=0.0), 10.0, step_cost=0.03)
    assert len(times) == pytest.approx(10_000, rel=0.01)


def test_after_a_long_stall_the_schedule_moves_on_instead_of_bursting():
    pacer = RatePacer(10, start=0.0)
    assert pacer.allowance(0.0, 0).count == 1
    allowance = pacer.allowance(30.0, 1)  # 30 s stalled: 300 events due
    assert allowance.count == 10  # at most one second's worth at once
    assert pacer.skipped == 300 - 10
    assert pacer.allowance(30.0, 11).count == 0  # and then back on schedule
    assert pacer.allowance(30.1, 11).count == 1


def test_unlimited_rate_never_waits():
    pacer = RatePacer(0, start=0.0)
    assert pacer.allowance(0.0, 10**9).count == UNLIMITED
    assert RatePacer(5, start=0.0).group == 1
    assert RatePacer(10_000, start=0.0).group == 200


def test_scaled_clock_releases_events_at_their_time_divided_by_the_scale():
    pacer = ScaledPacer(scale=60.0, start=10.0, anchor_ms=1_000_000)
    at = 1_000_000 + np.array([0, 30_000, 60_000, 60_000, 120_000])  # event times, ms
    assert pacer.allowance(10.0, 0, at).count == 1
    waiting = pacer.allowance(10.0, 1, at[1:])
    assert waiting.count == 0 and waiting.wait == pytest.approx(0.5)  # 30 s / 60
    assert pacer.allowance(11.0, 1, at[1:]).count == 3  # up to 60 s of event time
    assert pacer.allowance(11.5, 4, at[4:]).count == 0
    assert pacer.allowance(12.0, 4, at[4:]).count == 1

"""The timeline's rate: a factor on how many rows happen per second, piecewise constant.

The pieces start at the hours of the window and at every segment's edges, so a piece lies
wholly inside or outside each burst and outage; a trend is a staircase of one-hour steps
(each piece takes its value at its middle), fine enough that the counts per hour follow it.
Datetime draws multiply their slot weights by it (datetimes.py); the live producer paces by
it (services.kafka).
"""

from __future__ import annotations

import numpy as np

from services.schema import Timeline

STEP_S = 3600  # pieces are at most this long: the trend's staircase


def edges(timeline: Timeline, low: int, high: int) -> np.ndarray:
    """Every segment edge strictly inside [low, high + 1)."""
    found = [t.start_s for t in timeline.trends] + [t.end_s for t in timeline.trends if t.end_s]
    for period in (*timeline.bursts, *timeline.outages):
        found += [period.start_s, period.end_s]
    inside = np.array(found, dtype=np.int64)
    return np.unique(inside[(inside > low) & (inside <= high)])


def factors(timeline: Timeline, piece_low: np.ndarray, piece_high: np.ndarray) -> np.ndarray:
    """The rate factor over each piece [piece_low, piece_high) (pieces split at `edges`)."""
    out = np.ones(len(piece_low))
    for burst in timeline.bursts:
        out[(piece_low >= burst.start_s) & (piece_low < burst.end_s)] *= burst.factor
    middle = (piece_low + piece_high) / 2.0
    for trend in timeline.trends:
        reached = np.clip(middle, trend.start_s, trend.end_s or np.inf) - trend.start_s
        out *= (1.0 + trend.percent_per_day / 100.0) ** (reached / 86_400.0)
    for outage in timeline.outages:
        out[(piece_low >= outage.start_s) & (piece_low < outage.end_s)] = 0.0
    return out


def pieces(timeline: Timeline, low: int, high: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(piece start, piece end, factor) covering [low, high + 1) in order: the hours and the
    segment edges."""
    starts = np.union1d(np.arange(low - low % STEP_S + STEP_S, high + 1, STEP_S, np.int64),
                        edges(timeline, low, high))
    starts = np.concatenate([[low], starts[starts > low]])
    ends = np.append(starts[1:], high + 1)
    return starts, ends, factors(timeline, starts, ends)

"""Bursts and pauses: the wall clock mapped onto the schedule clock the pacers follow.

The schedule clock runs at `factor` times the wall clock inside a burst, stands still in a
pause and keeps pace otherwise, so a pacer that reads it sends x times faster in a burst and
nothing in a pause, and nothing else about pacing changes. Where periods overlap, a pause
wins and bursts multiply. The map is piecewise linear; its pieces are laid out up to a
horizon that doubles when the run gets there, so a reading is one binary search.

The schema's own timeline (its trend, bursts and outages) paces a live run stamped with the
current time the same way (`scenario_periods`): the run's first second is the time window's
first, and the timeline repeats every window length.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone

import numpy as np

from services.generator import rate_pieces
from services.schema import Dataset, Period

FIRST_HORIZON_S = 3600.0


class Timeline:
    def __init__(self, periods: Sequence[Period] = ()) -> None:
        self.periods = tuple(periods)
        self.horizon = 0.0
        self._starts = np.zeros(1)
        self._factors = np.ones(1)
        self._at = np.zeros(1)  # schedule seconds at each piece's start
        if self.periods:
            self._lay_out(FIRST_HORIZON_S)

    def _lay_out(self, horizon: float) -> None:
        edges = {0.0, horizon}
        spans = []
        for period in self.periods:
            start = period.at_s
            while start < horizon:
                spans.append((start, start + period.for_s, period.factor))
                edges.update((start, min(start + period.for_s, horizon)))
                if period.every_s is None:
                    break
                start += period.every_s
        starts = np.array(sorted(edges))
        factors = np.ones(len(starts))
        paused = np.zeros(len(starts), dtype=bool)
        for low, high, factor in spans:
            inside = (starts >= low) & (starts < high)
            if factor == 0:
                paused |= inside
            else:
                factors[inside] *= factor
        factors[paused] = 0.0
        lengths = np.diff(starts, append=starts[-1])
        self._starts, self._factors = starts, factors
        self._at = np.concatenate([[0.0], np.cumsum(lengths * factors)[:-1]])
        self.horizon = horizon

    def _piece(self, elapsed: float) -> int:
        while self.periods and elapsed >= self.horizon:
            self._lay_out(self.horizon * 2)
        return int(np.searchsorted(self._starts, elapsed, side="right")) - 1

    def schedule(self, elapsed: float) -> float:
        """Schedule seconds after `elapsed` wall seconds of the run."""
        if not self.periods or elapsed <= 0:
            return max(elapsed, 0.0)
        i = self._piece(elapsed)
        return float(self._at[i] + (elapsed - self._starts[i]) * self._factors[i])

    def wall_wait(self, elapsed: float, schedule_wait: float) -> float:
        """Wall seconds until `schedule_wait` more schedule seconds have passed, or until the
        current piece ends if that comes first (the caller asks again then)."""
        if not self.periods:
            return schedule_wait
        i = self._piece(max(elapsed, 0.0))
        factor = self._factors[i]
        piece_end = self._starts[i + 1] if i + 1 < len(self._starts) else self.horizon
        to_end = max(piece_end - elapsed, 0.0)
        if factor == 0:
            return to_end
        return min(schedule_wait / factor, to_end) if to_end > 0 else schedule_wait / factor


def scenario_periods(dataset: Dataset) -> tuple[Period, ...]:
    """The schema timeline's rate as periods of the run: each piece of the window where the
    factor is not 1, again every window length."""
    timeline = dataset.timeline
    if timeline is None or not timeline.shapes_rate:
        return ()
    window = dataset.time_window
    low = int(window.start.replace(tzinfo=timezone.utc).timestamp())
    high = int(window.end.replace(tzinfo=timezone.utc).timestamp())
    starts, ends, factors = rate_pieces(timeline, low, high)
    span = float(high + 1 - low)
    return tuple(Period(float(start - low), float(end - start), float(factor), span)
                 for start, end, factor in zip(starts, ends, factors, strict=True)
                 if factor != 1.0)

"""The funnel card's payload from handmade daily funnel rows: sums over days, conversions
recomputed from the sums, states in the lifecycle's order, one day's times."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.metrics import funnel
from services.outputs import FUNNEL_COLUMNS

DATE = "event_time_date"
STATES = ("created", "paid", "shipped", "cancelled")  # declared order, not alphabetical
D1, D2 = "2025-03-03", "2025-03-04"
NAN = math.nan
# (date, state, next_state, reached, moved, conversion, steps, median_s, p90_s), as the job
# writes them (an empty next_state for a state with no step out), in no particular order
ROWS = [
    (D2, "paid", "cancelled", 1, 1, 1.0, 1, 20.0, 20.0),
    (D1, "created", "paid", 10, 8, 0.8, 8, 100.0, 200.0),
    (D2, "created", "x", 5, 1, 0.2, 1, 40.0, 40.0),  # a step the lifecycle does not declare
    (D1, "cancelled", "", 3, 0, 0.0, 0, NAN, NAN),
    (D2, "created", "paid", 5, 1, 0.2, 1, 300.0, 300.0),
    (D1, "paid", "shipped", 8, 7, 0.875, 7, 3600.0, 7200.0),
    (D2, "x", "", 1, 0, 0.0, 0, NAN, NAN),
    (D1, "created", "cancelled", 10, 2, 0.2, 2, 50.0, 90.0),
    (D2, "created", "cancelled", 5, 0, 0.0, 0, NAN, NAN),
    (D1, "paid", "cancelled", 8, 1, 0.125, 1, 10.0, 10.0),
    (D2, "paid", "shipped", 1, 0, 0.0, 0, NAN, NAN),
    (D1, "shipped", "", 7, 0, 0.0, 0, NAN, NAN),
    (D2, "cancelled", "", 1, 0, 0.0, 0, NAN, NAN),
]


def rows() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=[DATE, *FUNNEL_COLUMNS])


def step(origin: str, to: str, reached: int, moved: int, conversion: float, steps: int,
         day: str, median: float, p90: float) -> dict:
    return {"from": origin, "to": to, "reached": reached, "moved": moved,
            "conversion": conversion, "steps": steps, "timing_day": day, "median_s": median,
            "p90_s": p90}


EXPECTED = {
    "states": [{"state": "created", "reached": 15}, {"state": "paid", "reached": 9},
               {"state": "shipped", "reached": 7}, {"state": "cancelled", "reached": 4},
               {"state": "x", "reached": 1}],
    "transitions": [
        # 9 of 15, not 0.8 + 0.2 (summed) nor 0.5 (the mean of the days' ratios)
        step("created", "paid", 15, 9, 0.6, 9, D2, 300.0, 300.0),
        # its latest day with a step is the first: the second made none
        step("created", "cancelled", 15, 2, 0.133333, 2, D1, 50.0, 90.0),
        step("created", "x", 15, 1, 0.066667, 1, D2, 40.0, 40.0),
        step("paid", "shipped", 9, 7, 0.777778, 7, D1, 3600.0, 7200.0),
        step("paid", "cancelled", 9, 2, 0.222222, 2, D2, 20.0, 20.0),
    ],
    "days": 2, "first_day": D1, "last_day": D2,
}


def test_the_payload_is_exact() -> None:
    assert funnel(rows(), DATE, STATES) == EXPECTED


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rows_order_does_not_matter(seed: int) -> None:
    assert funnel(rows().sample(frac=1, random_state=seed), DATE, STATES) == EXPECTED


def test_a_declared_state_never_reached_shows_as_zero() -> None:
    got = funnel(rows(), DATE, (*STATES[:3], "refunded", STATES[3]))
    assert [s["state"] for s in got["states"]] == [
        "created", "paid", "shipped", "refunded", "cancelled", "x"]
    assert got["states"][3]["reached"] == 0


def test_one_day_of_one_state() -> None:
    one = pd.DataFrame([(D1, "created", "", 4, 0, 0.0, 0, NAN, NAN)],
                       columns=[DATE, *FUNNEL_COLUMNS])
    assert funnel(one, DATE, STATES) == {
        "states": [{"state": "created", "reached": 4}, {"state": "paid", "reached": 0},
                   {"state": "shipped", "reached": 0}, {"state": "cancelled", "reached": 0}],
        "transitions": [], "days": 1, "first_day": D1, "last_day": D1}

"""The temporal distances on tables small enough to work out by hand, and the rule that finds
episodes (an id that repeats, a status, a time) without taking a flat table for them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from services.infer import temporal
from services.infer.compare import compare, format_report
from services.infer.episodes import Roles, episodes, find_roles
from services.infer.samples import Sample

DAY1, DAY2 = "2025-01-01T00:00:", "2025-01-02T00:00:"


def table(rows: list[tuple]) -> Sample:
    names = ("id", "t", "status")
    columns = {n: pa.chunked_array([pa.array([r[i] for r in rows], pa.string())])
               for i, n in enumerate(names)}
    return Sample(columns, len(rows), (Path("x.csv"),))


# gaps 10, 20 (a) and 40 (b); lengths 3, 2, 1; pairs created->paid x2, paid->shipped;
# days: 5 rows on the 1st, 1 on the 2nd. Rows deliberately out of order.
REAL = table([("b", DAY1 + "40", "paid"), ("a", DAY1 + "10", "paid"),
              ("c", DAY2 + "00", "created"), ("a", DAY1 + "00", "created"),
              ("b", DAY1 + "00", "created"), ("a", DAY1 + "30", "shipped")])
# gaps 10, 20 (x) and 20, 30 (y); lengths 3, 3; pairs created->paid x2, paid->shipped,
# paid->cancelled; days: 3 and 3.
SYNTH = table([("x", DAY1 + "00", "created"), ("x", DAY1 + "10", "paid"),
               ("x", DAY1 + "30", "shipped"), ("y", DAY2 + "00", "created"),
               ("y", DAY2 + "20", "paid"), ("y", DAY2 + "50", "cancelled")])
ROLES = Roles("id", "status", "t")


def sides():
    return episodes(REAL.columns, ROLES), episodes(SYNTH.columns, ROLES)


def test_gap_ks_by_hand():
    a, b = sides()
    assert sorted(a.gaps().tolist()) == [10, 20, 40]  # no gap across two ids
    # CDFs at 30: real 2/3 (10, 20), synthetic 4/4
    assert temporal.gap_ks(a, b) == pytest.approx(1 / 3)


def test_length_tv_by_hand():
    a, b = sides()
    assert sorted(a.lengths().tolist()) == [1, 2, 3]
    tv, chance = temporal.length_tv(a, b)
    assert tv == pytest.approx(2 / 3)  # {1: 1/3, 2: 1/3, 3: 1/3} against {3: 1}
    assert chance > 0


def test_transition_tv_by_hand():
    a, b = sides()
    # real: created->paid 2/3, paid->shipped 1/3; synthetic 1/2, 1/4, paid->cancelled 1/4
    tv, _ = temporal.transition_tv(a, b)
    assert tv == pytest.approx(0.5 * (1 / 6 + 1 / 12 + 1 / 4))


def test_daily_tv_by_hand():
    a, b = sides()
    tv, _ = temporal.daily_tv(a, b)
    assert tv == pytest.approx(5 / 6 - 1 / 2)


def test_identical_sides_are_at_zero_and_pass():
    a, _ = sides()
    assert temporal.gap_ks(a, a) == 0
    assert temporal.transition_tv(a, a)[0] == 0
    check = temporal._check("lengths", "TV", temporal.length_tv(a, a), 0.02)
    assert check["ok"] and check["target"] == pytest.approx(0.02 + check["chance"])


def lifecycle_columns(n: int, seed: int = 1, flat: bool = False) -> dict[str, list]:
    """n orders of 1 to 3 rows, created -> paid -> shipped a few minutes apart, with a
    customer that repeats and a store; `flat`: one row per order, a random status."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-06T00:00:00").astype(np.int64)
    lengths = np.ones(n, np.int64) if flat else rng.integers(1, 4, n)
    order = np.repeat(np.arange(n), lengths)
    step = np.arange(len(order)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    seconds = start + rng.integers(0, 5 * 86400, n)[order] + step * 600
    names = np.array(["created", "paid", "shipped"])
    status = names[rng.integers(0, 3, len(order))] if flat else names[step]
    return {"order_id": (order + 1000).astype(str).tolist(),
            "time": np.datetime_as_string(seconds.astype("datetime64[s]")).tolist(),
            "customer": (rng.integers(0, n // 5, n)[order]).astype(str).tolist(),
            "status": status.tolist(),
            "store": rng.choice(["a", "b"], n)[order].tolist()}


def columns_of(data: dict[str, list]) -> dict[str, pa.ChunkedArray]:
    return {k: pa.chunked_array([pa.array(v, pa.string())]) for k, v in data.items()}


def test_finds_the_finest_id_and_the_status():
    data = lifecycle_columns(3000)
    roles = find_roles(columns_of(data), len(data["time"]))
    assert (roles.id, roles.state, roles.time, roles.warnings) == \
        ("order_id", "status", "time", ())


def test_flat_tables_are_not_episodes():
    data = lifecycle_columns(3000, flat=True)  # ids never repeat; the customer does
    assert find_roles(columns_of(data), len(data["time"])) is None
    data = lifecycle_columns(3000)
    del data["status"]  # a repeated id and a time, but no status
    assert find_roles(columns_of(data), len(data["time"])) is None


def test_two_candidate_statuses_name_the_one_taken(caplog):
    data = lifecycle_columns(3000)
    data["stage"] = data.pop("status")
    data["phase"] = data["stage"]
    roles = find_roles(columns_of(data), len(data["time"]))
    assert roles.state == "stage"  # named like a status
    assert roles.warnings == ("phase: also moves like a status along order_id; stage is "
                              "taken, its name says status",)
    data["step_no"] = data.pop("stage")  # neither named like a status: the larger share
    data["phase"] = [("created" if i % 50 else "paid") if s == "created" else s
                     for i, s in enumerate(data["phase"])]
    roles = find_roles(columns_of(data), len(data["time"]))
    assert roles.state == "step_no"
    assert roles.warnings[0].startswith("phase: also moves like a status along order_id; "
                                        "step_no is taken, one state starts more of the ids "
                                        "(100.0% against 9")
    assert "phase: also moves like a status" in caplog.text


def test_report_has_the_temporal_checks():
    data = lifecycle_columns(3000)
    real = Sample(columns_of(data), len(data["time"]), (Path("x.csv"),))
    other = lifecycle_columns(3000, seed=2)
    synth = Sample(columns_of(other), len(other["time"]), (Path("y.csv"),))
    report = compare(real, synth)
    time_report = report["temporal"]
    assert time_report["judged"] and time_report["ok"]
    assert [c["name"] for c in time_report["checks"]] == \
        ["gaps", "lengths", "transitions", "daily_volume"]
    assert report["summary"]["temporal_ok"]
    assert report["summary"]["targets"]["gap_ks"] == temporal.GAP_KS_TARGET
    text = format_report(report)
    assert "over time, episodes of order_id moving by status at time:" in text
    assert "transitions   TV" in text
    flat = lifecycle_columns(3000, flat=True)
    plain = Sample(columns_of(flat), len(flat["time"]), (Path("z.csv"),))
    report = compare(plain, plain)
    assert not report["temporal"]["judged"] and report["summary"]["temporal_ok"]
    assert "over time: not judged" in format_report(report)


def test_a_synthetic_extract_without_the_roles_fails_over_time():
    data = lifecycle_columns(3000)
    real = Sample(columns_of(data), len(data["time"]), (Path("x.csv"),))
    del data["status"]
    synth = Sample(columns_of(data), len(data["time"]), (Path("y.csv"),))
    report = temporal.temporal(real, synth)
    assert (report["judged"], report["ok"]) == (False, False)
    assert report["note"] == ("the synthetic extract lacks order_id, status or time, or its "
                              "times do not parse")


def test_daily_volume_counts_days_not_hours():
    # all rows on one day, at different hours: no difference by day
    real = table([("a", "2025-01-01T01:00:00", "created"), ("a", "2025-01-01T02:00:00", "paid")])
    synth = table([("x", "2025-01-01T03:00:00", "created"),
                   ("x", "2025-01-01T04:00:00", "paid"), ("y", "2025-01-02T04:00:00", "paid")])
    a, b = episodes(real.columns, ROLES), episodes(synth.columns, ROLES)
    assert temporal.daily_tv(a, a)[0] == 0
    assert temporal.daily_tv(a, b)[0] == pytest.approx(1 / 3)  # {1st: 1} against {2/3, 1/3}


def test_a_common_status_drawn_at_random_is_no_lifecycle():
    """One status on 95% of the rows starts 95% of the orders too, but no more often than
    it follows: not an initial state."""
    data = lifecycle_columns(3000)
    rng = np.random.default_rng(8)
    data["status"] = np.where(rng.random(len(data["time"])) < 0.95, "completed",
                              "refunded").tolist()
    assert find_roles(columns_of(data), len(data["time"])) is None

"""The scenario timeline in generated rows: counts per hour follow the trend, the burst and
the outage; drift holds exactly from its date; anomaly labels are exactly the rows drawn
from the anomalous distribution; the same bytes for any worker count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.generator import generate_table, rate_pieces
from services.generator.block import BLOCK_SIZE
from services.schema import load_schema, parse_schema
from tests.generator.test_determinism import digests_by_workers
from tests.schemas import TIMELINE

ROWS = 240_000
START = pd.Timestamp("2025-03-01")
BURST_HOUR = START + pd.Timedelta(hours=30)  # 2025-03-02T06:00, five times the rate
OUTAGE = (START + pd.Timedelta(hours=40), START + pd.Timedelta(hours=40, minutes=20))
DRIFT_AT = START + pd.Timedelta(hours=36, minutes=30)
ANOMALY = (START + pd.Timedelta(hours=12), START + pd.Timedelta(hours=18))
TREND = 25.0  # percent a day


def document(mode: str = "uniform", **extra) -> dict:
    time_field = {"name": "ts", "type": "datetime", "mode": mode}
    return {
        "seed": 3, "entity_count": ROWS,
        "time_window": {"start": "2025-03-01", "end": "2025-03-02"},
        "schema": {"fields": [
            {"name": "id", "type": "id_sequence"},
            {"name": "channel", "type": "category", "choices": [
                {"value": "POS", "weight": 8}, {"value": "ECOM", "weight": 2}]},
            {"name": "amount", "type": "float", "min": 10, "max": 100, "decimals": 2},
            time_field,
            {"name": "qty", "type": "int", "min": 1, "max": 5}]},
        "analysis": {"timestamp_field": "ts"},
        "timeline": {
            "trends": [{"from": "2025-03-01", "percent_per_day": TREND}],
            "bursts": [{"start": "2025-03-02T06:00:00", "end": "2025-03-02T07:00:00",
                        "factor": 5}],
            "outages": [{"start": "2025-03-02T16:00:00", "end": "2025-03-02T16:20:00"}],
            "drifts": [
                {"field": "channel", "from": "2025-03-02T12:30:00",
                 "choices": [{"value": "POS", "weight": 2}, {"value": "ECOM", "weight": 8}]},
                {"field": "amount", "from": "2025-03-02T12:30:00",
                 "distribution": "uniform", "min": 200, "max": 300}],
            "anomalies": [{"start": "2025-03-01T12:00:00", "end": "2025-03-01T18:00:00",
                           "fraction": 0.1, "fields": {
                               "amount": {"distribution": "uniform", "min": 1000, "max": 2000},
                               "qty": {"min": 50, "max": 60}}}],
            "label": "is_odd", **extra}}


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return generate_table(parse_schema(document()), 11).to_pandas()


def expected_per_hour() -> pd.Series:
    """The declared rate, integrated per hour (the trend at each hour's middle)."""
    hours = pd.date_range(START, periods=48, freq="h")
    middle_days = (np.arange(48) + 0.5) / 24
    rate = (1 + TREND / 100) ** middle_days
    rate[hours == BURST_HOUR] *= 5
    rate[hours == OUTAGE[0].floor("h")] *= 40 / 60
    return pd.Series(ROWS * rate / rate.sum(), index=hours)


def test_counts_per_hour_follow_trend_burst_and_outage(rows):
    counts = rows.ts.dt.floor("h").value_counts().reindex(expected_per_hour().index,
                                                          fill_value=0)
    expected = expected_per_hour()
    # within 5 standard deviations of a Poisson count in every hour (about 4,000 an hour)
    assert (abs(counts - expected) < 5 * np.sqrt(expected)).all(), (counts - expected)
    assert counts[BURST_HOUR] > 4.5 * counts[BURST_HOUR - pd.Timedelta(hours=1)]
    assert counts[BURST_HOUR + pd.Timedelta(hours=1)] < 1.2 * counts[BURST_HOUR
                                                                      - pd.Timedelta(hours=1)]
    first, second = counts.iloc[:24].to_numpy(), counts.iloc[24:].to_numpy()
    usual = np.ones(24, dtype=bool)
    usual[[BURST_HOUR.hour, OUTAGE[0].hour]] = False  # the same hour a day later: x 1.25
    assert second[usual].sum() / first[usual].sum() == pytest.approx(1.25, rel=0.02)


def test_nothing_happens_during_the_outage(rows):
    inside = rows.ts.between(OUTAGE[0], OUTAGE[1], inclusive="left")
    assert not inside.any()
    around = rows.ts.between(OUTAGE[0] - pd.Timedelta(minutes=20), OUTAGE[0],
                             inclusive="left")
    assert around.sum() > 1000


def test_drift_holds_exactly_from_its_date(rows):
    after = rows.ts >= DRIFT_AT
    plain = ~rows.is_odd
    assert rows.amount[after].between(200, 300).all()
    assert rows.amount[~after & plain].between(10, 100).all()
    ecom_before = (rows.channel[~after] == "ECOM").mean()
    ecom_after = (rows.channel[after] == "ECOM").mean()
    assert ecom_before == pytest.approx(0.2, abs=0.01)
    assert ecom_after == pytest.approx(0.8, abs=0.01)


def test_anomaly_labels_are_exactly_the_anomalous_rows(rows):
    drawn_odd = rows.amount.between(1000, 2000)
    assert (rows.is_odd == drawn_odd).all()
    assert (rows.is_odd == rows.qty.between(50, 60)).all()  # both fields, the same rows
    inside = rows.ts.between(*ANOMALY, inclusive="left")
    assert not rows.is_odd[~inside].any()
    assert rows.is_odd[inside].mean() == pytest.approx(0.1, abs=0.01)


def test_the_label_column_comes_last_and_the_time_field_stays_in_place(rows):
    assert list(rows.columns) == ["id", "channel", "amount", "ts", "qty", "is_odd"]


def test_a_ramp_follows_the_rate_in_order():
    table = generate_table(parse_schema(document("ramp")), 5, 3 * BLOCK_SIZE)
    ts = table.column("ts").to_pandas()
    assert ts.is_monotonic_increasing
    assert not ts.between(OUTAGE[0], OUTAGE[1], inclusive="left").any()
    per_hour = ts.dt.floor("h").value_counts()
    assert per_hour[BURST_HOUR] > 4.5 * per_hour[BURST_HOUR - pd.Timedelta(hours=1)]


def test_a_schema_without_rate_segments_keeps_its_times():
    plain = document()
    del plain["timeline"]
    drift_only = document()
    for key in ("trends", "bursts", "outages"):
        del drift_only["timeline"][key]
    a = generate_table(parse_schema(plain), 9, 5000).column("ts")
    b = generate_table(parse_schema(drift_only), 9, 5000).column("ts")
    assert a.equals(b)


def test_identical_for_any_worker_count(tmp_path):
    ds = load_schema(TIMELINE).with_overrides(entity_count=3 * BLOCK_SIZE + 77)
    assert len(digests_by_workers(ds, tmp_path, 4, (1, 3))) == 1


def ten_seconds(**timeline) -> dict:
    """Ten seconds of rows, thousands in each: a segment's edges are exact seconds."""
    return {"seed": 2, "entity_count": 50_000,
            "time_window": {"start": "2025-03-01T00:00:00", "end": "2025-03-01T00:00:09"},
            "schema": {"fields": [{"name": "ts", "type": "datetime"},
                                  {"name": "x", "type": "int", "min": 0, "max": 9}]},
            "timeline": timeline}


def seconds_of(table) -> np.ndarray:
    return table.column("ts").cast("int64").to_numpy() % 60


def test_periods_start_at_their_first_second_and_end_before_their_last():
    document = ten_seconds(
        bursts=[{"start": "2025-03-01T00:00:02", "end": "2025-03-01T00:00:04", "factor": 5}],
        outages=[{"start": "2025-03-01T00:00:06", "end": "2025-03-01T00:00:07"}],
        drifts=[{"field": "x", "from": "2025-03-01T00:00:05", "min": 100, "max": 109}],
        anomalies=[{"start": "2025-03-01T00:00:08", "end": "2025-03-01T00:00:09",
                    "fraction": 1, "fields": {"x": {"min": 500, "max": 509}}}],
        label="odd")
    table = generate_table(parse_schema(document), 1)
    second, x = seconds_of(table), table.column("x").to_numpy()
    counts = np.bincount(second, minlength=10)
    share = counts / counts[[0, 1, 4, 5, 7, 8, 9]].mean()
    assert share[[2, 3]] == pytest.approx([5, 5], rel=0.1)
    assert share[[1, 4]] == pytest.approx([1, 1], rel=0.1) and counts[6] == 0
    assert (x[second < 5] < 10).all()
    assert ((x[second >= 5] >= 100) & (x[second >= 5] < 110) | (second[second >= 5] == 8)).all()
    assert (table.column("odd").to_numpy(zero_copy_only=False) == (second == 8)).all()
    assert (x[second == 8] >= 500).all()


def test_a_time_in_a_correlations_block_follows_the_rate():
    document = ten_seconds(outages=[{"start": "2025-03-01T00:00:03",
                                     "end": "2025-03-01T00:00:05"}])
    document["schema"]["correlations"] = [{"fields": ["ts", "x"],
                                           "rank_correlation": [[1, 0.9], [0.9, 1]]}]
    table = generate_table(parse_schema(document), 1)
    second, x = seconds_of(table), table.column("x").to_numpy()
    counts = np.bincount(second, minlength=10)
    assert counts[3] == counts[4] == 0 and (counts[[0, 1, 2, 5, 6, 7, 8, 9]] > 4000).all()
    assert np.corrcoef(second, x)[0, 1] > 0.8  # still ranked together


def test_a_trend_grows_from_its_date_until_its_end_then_holds():
    document = ten_seconds()
    document["time_window"] = {"start": "2025-03-01", "end": "2025-03-04"}
    document["timeline"] = {"trends": [{"from": "2025-03-02", "until": "2025-03-03",
                                        "percent_per_day": 100}]}
    timeline = parse_schema(document).timeline
    low = timeline.trends[0].start_s - 86_400
    starts, ends, factors = rate_pieces(timeline, low, low + 4 * 86_400 - 1)
    assert len(starts) == 96 and (ends - starts == 3600).all()
    assert (factors[:24] == 1).all() and (factors[48:] == 2).all()  # held after `until`
    assert factors[24:48] == pytest.approx(2 ** ((np.arange(24) + 0.5) / 24))

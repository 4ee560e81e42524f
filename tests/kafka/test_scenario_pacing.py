"""A live run stamped with the current time (--generate --rate R) sends at R times the schema
timeline's factor: its run starts at the window's start and repeats every window length.
The pacing plan on a simulated clock, then one short run on the real broker."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.infra.kafka import KafkaDetails
from services.kafka.cli import pacing_timeline
from services.kafka.schedule import RatePacer
from services.kafka.timeline import Timeline, scenario_periods
from services.schema import NO_FAULTS, parse_schema
from tests.kafka.test_broker import produce
from tests.kafka.test_schedule import simulate
from tests.topics import read_topic, unique_topic

SIX_SECONDS = {
    "seed": 1, "entity_count": 100,
    "time_window": {"start": "2025-03-03T00:00:00", "end": "2025-03-03T00:00:05"},
    "schema": {"fields": [{"name": "id", "type": "id_sequence"},
                          {"name": "ts", "type": "datetime"}]},
    "timeline": {
        "bursts": [{"start": "2025-03-03T00:00:02", "end": "2025-03-03T00:00:04",
                    "factor": 5}],
        "outages": [{"start": "2025-03-03T00:00:04", "end": "2025-03-03T00:00:05"}]}}


def sent_per_second(document: dict, rate: float, seconds: int) -> np.ndarray:
    timeline = Timeline(scenario_periods(parse_schema(document)))
    times = simulate(RatePacer(rate, start=0.0, timeline=timeline), seconds)
    return np.bincount(np.floor(times).astype(int), minlength=seconds)[:seconds]


def test_the_rate_is_the_factor_at_the_event_time_and_repeats_each_window():
    counts = sent_per_second(SIX_SECONDS, 200, 12)
    expected = np.tile([200, 200, 1000, 1000, 0, 200], 2)
    assert np.abs(counts - expected).max() <= 5, counts  # a group of 4 may leave early


def test_a_trend_raises_the_rate_day_by_day():
    document = json.loads(json.dumps(SIX_SECONDS))
    document["time_window"] = {"start": "2025-03-01", "end": "2025-03-03"}
    document["timeline"] = {"trends": [{"from": "2025-03-02", "percent_per_day": 50}]}
    timeline = Timeline(scenario_periods(parse_schema(document)))
    day = 86_400
    assert timeline.schedule(day) == pytest.approx(day)  # flat before the trend's date
    # the second day's hours at 1.5 ** (hour's middle / 24): its integral over the day
    steps = 1.5 ** ((np.arange(24) + 0.5) / 24)
    assert timeline.schedule(2 * day) - day == pytest.approx(3600 * steps.sum())


def test_only_a_live_run_stamped_now_follows_the_timeline():
    ds = parse_schema(SIX_SECONDS)
    assert pacing_timeline(NO_FAULTS, ds, live_now=True).schedule(3.0) == pytest.approx(7.0)
    assert pacing_timeline(NO_FAULTS, ds, live_now=False).schedule(3.0) == 3.0
    assert scenario_periods(parse_schema({**SIX_SECONDS, "timeline": {}})) == ()


@pytest.mark.kafka
def test_a_live_run_on_the_broker_bursts_and_stops_as_the_timeline_says(
        kafka_broker: KafkaDetails, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("timeline")
    path = tmp_path / "six.json"
    path.write_text(json.dumps(SIX_SECONDS))
    code, totals, _ = produce(bootstrap, topic, "--generate", "--config", str(path),
                              "--rate", "100", "--max-events", "1300", "--seed", "4")
    assert code == 0 and totals["delivered"] == 1300
    sent = np.array([r.timestamp for r in read_topic(bootstrap, topic)]) / 1000.0
    sent = np.sort(sent - sent.min())  # the first event leaves at the run's start
    gaps = np.diff(sent)
    longest = int(np.argmax(gaps))
    assert gaps[longest] >= 0.85 and sent[longest] == pytest.approx(4.0, abs=0.3)  # outage
    quiet = np.count_nonzero((sent > 0.2) & (sent < 1.8))  # 100 a second
    burst = np.count_nonzero((sent > 2.2) & (sent < 3.8))  # 500 a second
    assert quiet == pytest.approx(160, rel=0.25) and burst == pytest.approx(800, rel=0.25)

"""The demo's streaming job settings: a producer faster than the clock leads it, and the
job's future horizon must let its events through (and still refuse a year-9999 time)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.demo import cli
from services.demo.layout import Layout
from services.spark.trigger_interval import interval_ms

DAY_MS = 86_400_000


@pytest.mark.parametrize("scale", [0, 0.5, 1])
def test_a_producer_no_faster_than_the_clock_keeps_the_default(scale):
    assert cli.future_horizon(scale) is None


@pytest.mark.parametrize("scale", [1.5, 60, 3600])
def test_a_scaled_producer_stays_within_the_horizon_for_the_days_promised(scale):
    horizon_ms = interval_ms(cli.future_horizon(scale))
    lead_ms = (scale - 1) * cli.SCALED_RUN_DAYS * DAY_MS  # after SCALED_RUN_DAYS of running
    assert lead_ms <= horizon_ms < lead_ms + DAY_MS
    year_9999 = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp() * 1000
    assert datetime.now(timezone.utc).timestamp() * 1000 + horizon_ms < year_9999


def test_the_job_gets_the_horizon(tmp_path):
    layout = Layout(tmp_path)

    def env(horizon):
        return layout.stream_env(tmp_path / "s.json", "b:1", "earliest", "1 second", 4040,
                                 horizon)

    assert env("1770 days")["STREAM_FUTURE_HORIZON"] == "1770 days"
    assert "STREAM_FUTURE_HORIZON" not in env(None)


def test_a_users_own_horizon_wins():
    assert cli.stream_horizon(60, {"STREAM_FUTURE_HORIZON": "2 days"}) == "2 days"
    assert cli.stream_horizon(60, {"STREAM_FUTURE_HORIZON": " "}) == cli.future_horizon(60)
    assert cli.stream_horizon(1, {}) is None


def test_the_event_format_comes_from_the_environment_and_reaches_the_producer(
        tmp_path, monkeypatch):
    assert cli.parse(["--any-ports"]).event_format == "json"
    monkeypatch.setenv("EVENT_FORMAT", "avro")
    options = cli.parse(["--any-ports"])
    assert options.event_format == "avro"
    args = cli.producer_args(options, Layout(tmp_path), "b:1")
    assert args[args.index("--format") + 1] == "avro"
    assert cli.parse(["--format", "json-schema"]).event_format == "json-schema"


def test_only_a_wire_format_starts_a_registry():
    started = []

    class Engine:
        def __init__(self, details):
            self.details = details

        def start(self):
            started.append(self.details)
            return type("Status", (), {"details": self.details})(), False

    kafka = Engine(type("K", (), {"bootstrap_servers": "b:1"})())
    registry = Engine(type("R", (), {"url": "http://r:1/apis/ccompat/v7"})())
    assert cli.Engines(kafka).start() == ("b:1", {})
    assert cli.Engines(kafka, registry).start() == (
        "b:1", {"SCHEMA_REGISTRY_URL": "http://r:1/apis/ccompat/v7"})
    assert len(started) == 3

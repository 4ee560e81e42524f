"""The batch dashboard in Debian's Chromium: charts with data, no console errors, the empty
state and recovery, the live/idle pill, and hostile values shown as text."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pandas as pd
import pytest
from playwright.sync_api import expect

from dashboard import create_app
from services.common.files import write_json_atomic
from services.outputs import BatchOutputs
from tests.dashboards.browser.pages import WAIT_MS, charts, clear, wait_for_charts
from tests.dashboards.browser.tab import Tab
from tests.dashboards.fixtures import (
    CARD_SCHEMA,
    CARD_VALUES,
    HOSTILE,
    batch_frame,
    card_columns,
    write_batch_outputs,
)
from tests.dashboards.isolated import ARTIFACTS, build_isolated
from tests.dashboards.server import LiveServer

pytestmark = pytest.mark.browser
COLUMNS = card_columns()
CHART_IDS = ["chart-trend", "chart-segments", "chart-breakdown"]


class Site:
    def __init__(self, server: LiveServer, outputs: BatchOutputs):
        self.url = server.url
        self.outputs = outputs

    def reset(self) -> None:
        clear(self.outputs.csv_dir, self.outputs.kpis_dir, self.outputs.quality_file,
              self.outputs.status_file)

    def write(self, frame: pd.DataFrame) -> None:
        self.reset()
        write_batch_outputs(self.outputs.csv_dir, frame, COLUMNS)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    csv_dir = tmp_path_factory.mktemp("batch") / "analysis_csv"
    app = build_isolated(create_app, {"OUT_LOCAL_CSV": str(csv_dir),
                                      "DASHBOARD_REFRESH_SECONDS": "0.25",
                                      "DASHBOARD_STALE_AFTER": "40"})
    with LiveServer(app) as server:
        yield Site(server, BatchOutputs(csv_dir))


def test_dashboard_with_data(site: Site, tab: Tab) -> None:
    frame = batch_frame(COLUMNS, CARD_VALUES, days=120)
    site.write(frame)
    page = tab.page
    page.goto(site.url)
    found = wait_for_charts(page, CHART_IDS)
    assert found["chart-trend"] == {"id": "chart-trend", "datasets": 2, "labels": 120,
                                    "points": 120 + 114}  # daily + 7-day average
    assert found["chart-segments"]["points"] == 10
    assert found["chart-breakdown"]["points"] == 6
    expect(page.locator("#empty-state")).to_be_hidden()
    records = f"{int(frame['record_count'].sum()):,}"
    expect(page.locator("#kpis .tile").first).to_contain_text(records)
    expect(page.locator("#kpis")).to_contain_text("€")
    expect(page.locator("#kpis")).to_contain_text("Fraud rate")
    expect(page.locator("#rows-table tbody tr")).to_have_count(25)
    expect(page.locator("#rows-table tbody tr").first).to_contain_text("€")
    expect(page.locator("#card-quality")).to_contain_text("invalid timestamp")
    expect(page.locator("#live-pill")).to_have_text("Live")
    expect(page.locator("#updated")).to_contain_text("Updated")
    page.select_option("#breakdown-dim", "channel")
    expect(page.locator("#breakdown-table tbody tr")).to_have_count(3)
    assert charts(page)["chart-breakdown"]["labels"] == 3
    page.select_option("#breakdown-dim", "city")
    expect(page.locator("#breakdown-table tbody tr")).to_have_count(6)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "batch_dashboard.png"), full_page=True)
    assert tab.problems == []


def test_empty_state_then_recovery(site: Site, tab: Tab) -> None:
    site.reset()
    page = tab.page
    page.goto(site.url)
    empty = page.locator("#empty-state")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No batch output yet")
    expect(empty).to_contain_text(str(site.outputs.csv_dir))
    expect(page.locator("#content")).to_be_hidden()
    expect(page.locator("#live-pill")).to_have_text("Waiting for data")

    site.write(batch_frame(COLUMNS, CARD_VALUES, days=10))
    expect(empty).to_be_hidden(timeout=WAIT_MS)
    assert wait_for_charts(page, CHART_IDS)["chart-trend"]["labels"] == 10

    part = next(site.outputs.csv_dir.glob("part-*.csv"))
    part.write_text(part.read_text()[:-20])  # the job is rewriting it
    expect(empty).to_contain_text("cannot be read", timeout=WAIT_MS)
    expect(empty).to_contain_text("half-written")

    site.write(batch_frame(COLUMNS, CARD_VALUES, days=12))
    expect(empty).to_be_hidden(timeout=WAIT_MS)
    page.wait_for_function("() => Object.values(Chart.instances).some(c => "
                           "c.canvas.id === 'chart-trend' && c.data.labels.length === 12)",
                           timeout=WAIT_MS)
    assert not [p for p in tab.problems if "pageerror" in p]


def test_pill_says_idle_when_the_output_stops_changing(site: Site, tab: Tab) -> None:
    site.write(batch_frame(COLUMNS, CARD_VALUES, days=3))
    old = time.time() - 3600
    outputs = site.outputs
    for path in [*outputs.csv_dir.iterdir(), *outputs.kpis_dir.iterdir(),
                 outputs.quality_file]:
        os.utime(path, (old, old))
    page = tab.page
    page.goto(site.url)
    pill = page.locator("#live-pill")
    expect(pill).to_have_text("Idle")
    expect(pill).to_have_attribute("data-state", "stale")
    expect(page.locator("#updated")).to_contain_text("60 min ago")
    os.utime(outputs.quality_file)
    expect(pill).to_have_text("Live", timeout=WAIT_MS)


def test_hostile_values_render_as_text(site: Site, tab: Tab) -> None:
    values = {**CARD_VALUES, "city": (HOSTILE, "Paris")}
    site.write(batch_frame(COLUMNS, values, days=4))
    page = tab.page
    page.goto(site.url)
    wait_for_charts(page, CHART_IDS)
    cell = page.locator("#breakdown-table tbody td.text", has_text="<script>")
    expect(cell).to_have_text(HOSTILE)
    expect(page.locator("#rows-table tbody td", has_text="onerror").first).to_have_text(HOSTILE)
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.evaluate("() => Object.values(Chart.instances).find(c => c.canvas.id === "
                         "'chart-breakdown').data.labels").count(HOSTILE) == 1
    assert tab.problems == []


def test_a_mean_measure_is_headlined_by_its_average(tmp_path, tab: Tab) -> None:
    """A schema declaring its measure a mean (a temperature, a ticket size): the page shows
    the average, never a total, and the trend plots daily averages over the values present."""
    raw = json.loads(CARD_SCHEMA.read_text())
    raw["analysis"]["measures"] = [{"name": "amount", "field": "amount", "agg": "mean",
                                    "label": "Ticket"}]
    schema = tmp_path / "mean.json"
    schema.write_text(json.dumps(raw))
    csv_dir = tmp_path / "analysis_csv"
    frame = batch_frame(COLUMNS, CARD_VALUES, days=5)
    write_batch_outputs(csv_dir, frame, COLUMNS)
    app = build_isolated(create_app, {"OUT_LOCAL_CSV": str(csv_dir),
                                      "SCHEMA_CONFIG_PATH": str(schema)})
    with LiveServer(app) as server:
        page = tab.page
        page.goto(server.url)
        wait_for_charts(page, CHART_IDS)
        kpis = page.locator("#kpis")
        expect(kpis).to_contain_text("Average ticket")
        expect(kpis).not_to_contain_text("Total ticket")
        plotted = page.evaluate("() => Object.values(Chart.instances).find(c => c.canvas.id "
                                "=== 'chart-trend').data.datasets[0].data")
    daily = frame.groupby(COLUMNS.date)[["sum_amount", "n_amount"]].sum()
    assert plotted == pytest.approx((daily["sum_amount"] / daily["n_amount"]).round(2).tolist())
    assert tab.problems == []


def job_status(state: str, error: str | None = None) -> dict:
    return {"state": state, "started_at": "2026-03-01T09:00:00.000000Z",
            "ended_at": None if state == "running" else "2026-03-01T09:02:00.000000Z",
            "error": error, "generated_at": "2026-03-01T09:02:00.000000Z"}


def test_a_failed_job_is_named_with_its_reason_instead_of_no_output(site: Site, tab: Tab) -> None:
    site.reset()
    site.outputs.status_file.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(site.outputs.status_file, job_status("running"))
    page = tab.page
    page.goto(site.url)
    empty = page.locator("#empty-state")
    expect(page.locator("#empty-title")).to_have_text("The batch job is running")
    reason = "no input extracts (.csv, .jsonl) appeared in /opt/spark-data/input within 60 s"
    write_json_atomic(site.outputs.status_file, job_status("failed", reason))
    expect(page.locator("#empty-title")).to_have_text("The batch job failed", timeout=WAIT_MS)
    expect(empty).to_contain_text(reason)
    expect(page.locator("#live-pill")).to_have_text("Job failed")

    # output of an earlier run shows, under the failure
    write_batch_outputs(site.outputs.csv_dir, batch_frame(COLUMNS, CARD_VALUES, days=5), COLUMNS)
    expect(empty).to_be_hidden(timeout=WAIT_MS)
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("The batch job failed at")
    expect(banner).to_contain_text(reason)
    expect(page.locator("#card-quality")).to_contain_text("Last runfailed")
    expect(page.locator("#live-pill")).to_have_text("Job failed")

    write_json_atomic(site.outputs.status_file, job_status("done"))
    expect(banner).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#card-quality")).to_contain_text("Last rundone")
    expect(page.locator("#live-pill")).to_have_text("Live")
    assert tab.problems == []

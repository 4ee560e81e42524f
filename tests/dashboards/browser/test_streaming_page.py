"""The streaming dashboard in Debian's Chromium: charts with data, no console errors, the
empty state and recovery from the live file alone, the job's ledger on the health card, and
hostile group names shown as text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from services.common.files import write_json_atomic
from services.outputs import StreamOutputs
from streaming_dashboard import create_app
from tests.dashboards.browser.pages import WAIT_MS, clear, wait_for_charts
from tests.dashboards.browser.tab import Tab
from tests.dashboards.fixtures import (
    HOSTILE,
    PRODUCTS,
    STREAM_START,
    ledger_payload,
    live_payload,
    status_payload,
    window_frame,
    write_stream_outputs,
)
from tests.dashboards.isolated import ARTIFACTS, build_isolated
from tests.dashboards.server import LiveServer

pytestmark = pytest.mark.browser
CHART_IDS = ["chart-timeline", "chart-windows", "chart-rate"]
CLOSED = 60


class Site:
    def __init__(self, server: LiveServer, outputs: StreamOutputs):
        self.url = server.url
        self.outputs = outputs

    def reset(self) -> None:
        clear(self.outputs.parquet_dir, self.outputs.live_file, self.outputs.status_file)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    sink = tmp_path_factory.mktemp("stream") / "streaming_product_revenue"
    app = build_isolated(create_app, {"OUTPUT_PATH": str(sink),
                                      "STREAMING_DASHBOARD_REFRESH_SECONDS": "0.25"})
    with LiveServer(app) as server:
        yield Site(server, StreamOutputs(sink))


def open_after(closed_windows: int, groups: tuple[str, ...] = PRODUCTS, seed: int = 5):
    return window_frame(groups, 4, start=STREAM_START + timedelta(minutes=15 * closed_windows),
                        seed=seed)


def test_dashboard_with_data(site: Site, tab: Tab) -> None:
    site.reset()
    write_stream_outputs(site.outputs.parquet_dir, window_frame(PRODUCTS, CLOSED),
                         open_after(CLOSED), files=6)
    page = tab.page
    page.goto(site.url)
    found = wait_for_charts(page, CHART_IDS)
    assert found["chart-timeline"]["datasets"] == 8
    assert found["chart-timeline"]["labels"] == 48  # the newest 48 windows
    assert found["chart-timeline"]["points"] == 8 * 48
    assert found["chart-windows"]["labels"] == 48
    assert found["chart-rate"]["labels"] == 1  # one micro-batch seen so far
    expect(page.locator("#empty-state")).to_be_hidden()
    expect(page.locator("#leaderboard li")).to_have_count(8)
    expect(page.locator("#leaderboard-badge")).to_be_hidden()
    expect(page.locator("#kpis")).to_contain_text("$")
    expect(page.locator("#kpis")).to_contain_text("Product count")
    expect(page.locator("#windows-stats")).to_contain_text("Closed windows60")
    expect(page.locator("#stream-stats")).to_contain_text("Dropped as late3")
    expect(page.locator("#live-pill")).to_have_text("Live")
    expect(page.locator("#card-verification")).to_be_hidden()  # no expected answer set
    # a new micro-batch moves the rate history on without reloading the page
    write_json_atomic(site.outputs.status_file, status_payload(batch_id=8,
                                                               input_rows_per_second=55.0))
    page.wait_for_function("() => Object.values(Chart.instances).some(c => "
                           "c.canvas.id === 'chart-rate' && c.data.labels.length === 2)",
                           timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "streaming_dashboard.png"), full_page=True)
    assert tab.problems == []


def test_empty_state_then_recovery_from_open_windows(site: Site, tab: Tab) -> None:
    site.reset()
    page = tab.page
    page.goto(site.url)
    empty = page.locator("#empty-state")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No streaming output yet")
    expect(empty).to_contain_text(str(site.outputs.parquet_dir))

    # the first micro-batches: windows still open, nothing closed in Parquet yet
    write_json_atomic(site.outputs.live_file, live_payload(open_after(0)))
    write_json_atomic(site.outputs.status_file, status_payload())
    expect(empty).to_be_hidden(timeout=WAIT_MS)
    wait_for_charts(page, CHART_IDS)
    expect(page.locator("#leaderboard-badge")).to_be_visible()
    expect(page.locator("#notes")).to_contain_text("No window has closed yet")

    write_stream_outputs(site.outputs.parquet_dir, window_frame(PRODUCTS, 8), open_after(8))
    expect(page.locator("#leaderboard-badge")).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#notes")).to_be_hidden()
    expect(page.locator("#windows-stats")).to_contain_text("Closed windows8")
    assert not [p for p in tab.problems if "pageerror" in p]


def test_the_health_card_shows_the_ledger(site: Site, tab: Tab) -> None:
    site.reset()
    write_stream_outputs(site.outputs.parquet_dir, window_frame(PRODUCTS, 8), None)
    page = tab.page
    page.goto(site.url)
    stats, note = page.locator("#ledger-stats"), page.locator("#ledger-note")
    for text in ("Read1,300", "Counted1,280", "Duplicates12", "Quarantined5",
                 "Dropped late3", "Balancedyes"):
        expect(stats).to_contain_text(text)
    expect(note).to_have_text("Quarantined by reason: not_json 3 · bad_time 2")
    expect(stats.locator(".stat.warn")).to_have_count(2)  # quarantined, late

    # a record read that went nowhere: the card says so, whatever the job claimed
    write_json_atomic(site.outputs.status_file, status_payload(
        batch_id=8, ledger=ledger_payload(counted=1279, late=0, missed_batches=2)))
    expect(stats).to_contain_text("Balancedno", timeout=WAIT_MS)
    expect(stats.locator(".stat.warn", has_text="Balanced")).to_have_count(1)
    expect(note).to_contain_text("4 records read but not accounted for.")
    expect(note).to_contain_text("2 micro-batches never counted.")

    status = status_payload(batch_id=9)
    del status["ledger"]  # a job older than the ledger
    write_json_atomic(site.outputs.status_file, status)
    expect(note).to_contain_text("holds no ledger", timeout=WAIT_MS)
    expect(stats.locator(".stat")).to_have_count(0)
    expect(page.locator("#stream-stats")).to_contain_text("Rows in batch")
    assert tab.problems == []


def test_hostile_group_names_render_as_text(site: Site, tab: Tab) -> None:
    site.reset()
    groups = (HOSTILE, "Latte")
    write_stream_outputs(site.outputs.parquet_dir, window_frame(groups, 6), None)
    page = tab.page
    page.goto(site.url)
    wait_for_charts(page, CHART_IDS)
    name = page.locator("#leaderboard .name", has_text="<script>")
    expect(name).to_have_text(HOSTILE)
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    labels = page.evaluate("() => Object.values(Chart.instances).find(c => c.canvas.id === "
                           "'chart-timeline').data.datasets.map(d => d.label)")
    assert HOSTILE in labels
    assert tab.problems == []


def test_a_failed_job_is_named_on_the_page_and_in_stream_health(site: Site, tab: Tab) -> None:
    site.reset()
    site.outputs.status_file.parent.mkdir(parents=True, exist_ok=True)
    reason = "org.apache.kafka.common.KafkaException: Failed to construct kafka consumer"
    failed = {"state": "failed", "started_at": "2026-03-01T09:00:00.000000Z",
              "ended_at": "2026-03-01T09:00:40.000000Z", "error": reason,
              "generated_at": "2026-03-01T09:00:40.000000Z"}
    write_json_atomic(site.outputs.status_file, failed)
    page = tab.page
    page.goto(site.url)
    expect(page.locator("#empty-title")).to_have_text("The streaming job failed")
    expect(page.locator("#empty-state")).to_contain_text(reason)
    expect(page.locator("#live-pill")).to_have_text("Job failed")

    # windows an earlier run closed show, with the failure above them and in stream health
    write_stream_outputs(site.outputs.parquet_dir, window_frame(PRODUCTS, 8), None)
    write_json_atomic(site.outputs.status_file, status_payload(**failed))
    expect(page.locator("#empty-state")).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#job-banner")).to_contain_text("The streaming job failed at")
    expect(page.locator("#stream-error")).to_contain_text(reason)
    expect(page.locator("#stream-stats")).to_contain_text("Jobfailed")

    write_json_atomic(site.outputs.status_file, status_payload(batch_id=9))
    expect(page.locator("#job-banner")).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#stream-error")).to_be_hidden()
    expect(page.locator("#stream-stats")).to_contain_text("Jobrunning")
    assert tab.problems == []

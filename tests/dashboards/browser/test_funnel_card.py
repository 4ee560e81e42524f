"""The Funnel card in Debian's Chromium: over the funnel the real batch job wrote for the
shipped lifecycle schema it shows a bar per state in the declared order and each transition's
conversion and times; for the card schema (no lifecycle) there is no card at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from dashboard import create_app
from services.schema import load_schema
from tests.dashboards.browser.pages import wait_for_charts
from tests.dashboards.browser.tab import Tab
from tests.dashboards.fixtures import (
    CARD_VALUES,
    LIFECYCLE_SCHEMA,
    batch_frame,
    card_columns,
    get,
    write_batch_outputs,
)
from tests.dashboards.isolated import ARTIFACTS, build_isolated
from tests.dashboards.lifecycle_job import LifecycleRun
from tests.dashboards.server import LiveServer

pytestmark = pytest.mark.browser
NAMES = load_schema(LIFECYCLE_SCHEMA).lifecycle.names


@dataclass(frozen=True)
class Site:
    url: str
    app: Flask  # to ask the API what the page should show


@pytest.fixture(scope="module")
def lifecycle_site(lifecycle_run: LifecycleRun) -> Iterator[Site]:
    app = build_isolated(create_app, {"OUT_LOCAL_CSV": str(lifecycle_run.outputs.csv_dir),
                                      "SCHEMA_CONFIG_PATH": str(LIFECYCLE_SCHEMA)})
    with LiveServer(app) as server:
        yield Site(server.url, app)


def percent(rate: float) -> str:
    """What the page's fmt.percent shows in an en-US browser."""
    return f"{rate * 100:.{2 if rate < 0.1 else 1}f}%"


@pytest.mark.spark
def test_the_card_shows_the_states_and_conversions(lifecycle_site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(lifecycle_site.url)
    card = page.locator("#card-funnel")
    expect(card).to_be_visible()
    found = wait_for_charts(page, ["chart-funnel"])["chart-funnel"]
    assert (found["labels"], found["points"]) == (len(NAMES), len(NAMES))
    labels = page.evaluate("() => Object.values(Chart.instances).find("
                           "c => c.canvas.id === 'chart-funnel').data.labels")
    assert labels == list(NAMES)  # the lifecycle's order, not the alphabet's
    data = get(lifecycle_site.app.test_client(), "/api/funnel")
    rows = page.locator("#funnel-table tbody tr")
    expect(rows).to_have_count(len(data["transitions"]))
    first = data["transitions"][0]
    assert (first["from"], first["to"]) == ("created", "paid")
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text("created")
    expect(cells.nth(1)).to_have_text("paid")
    expect(cells.nth(4)).to_have_text(percent(first["conversion"]))
    expect(cells.nth(6)).to_have_text(re.compile(r"^\d+(\.\d)? (s|min|h|days)$"))
    expect(card.locator(".card-message")).to_have_text("")
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / "batch_funnel_card.png"))
    assert tab.problems == []


def test_no_card_for_a_schema_without_a_lifecycle(tab: Tab, tmp_path: Path) -> None:
    columns = card_columns()
    csv_dir = tmp_path / "analysis_csv"
    write_batch_outputs(csv_dir, batch_frame(columns, CARD_VALUES, days=5), columns)
    app = build_isolated(create_app, {"OUT_LOCAL_CSV": str(csv_dir)})
    with LiveServer(app) as server:
        page = tab.page
        page.goto(server.url)
        wait_for_charts(page, ["chart-trend"])
        expect(page.locator("#card-quality")).to_be_visible()
        expect(page.locator("#card-funnel")).to_have_count(0)
        assert "chart-funnel" not in page.evaluate(
            "() => Object.values(Chart.instances).map(c => c.canvas.id)")
    assert tab.problems == []

"""The "closed windows verified" card in Debian's Chromium: green with N of N when the sink
matches the expected answer, red with the first differences when it does not, the answer's
own problems shown in the card, and every change seen without a reload."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services.outputs import StreamOutputs
from services.streamcheck import write_answer
from streaming_dashboard import create_app
from tests.dashboards.browser.pages import WAIT_MS, clear
from tests.dashboards.browser.tab import Tab
from tests.dashboards.fixtures import (
    HOSTILE,
    PRODUCTS,
    answer_of,
    window_frame,
    write_stream_outputs,
)
from tests.dashboards.isolated import ARTIFACTS, build_isolated
from tests.dashboards.server import LiveServer

pytestmark = pytest.mark.browser
CLOSED = 12
GREEN, RED = "rgb(5, 150, 105)", "rgb(220, 38, 38)"  # the page's --good and --bad


class Site:
    def __init__(self, server: LiveServer, outputs: StreamOutputs, expected: Path):
        self.url = server.url
        self.outputs = outputs
        self.expected = expected

    def reset(self) -> None:
        clear(self.outputs.parquet_dir, self.outputs.live_file, self.outputs.status_file)
        shutil.rmtree(self.expected, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("verify")
    sink, expected = root / "streaming_product_revenue", root / "expected"
    app = build_isolated(create_app, {"OUTPUT_PATH": str(sink),
                                      "STREAM_EXPECTED_DIR": str(expected),
                                      "STREAMING_DASHBOARD_REFRESH_SECONDS": "0.25"})
    with LiveServer(app) as server:
        yield Site(server, StreamOutputs(sink), expected)


def test_right_then_wrong_without_a_reload(site: Site, tab: Tab) -> None:
    site.reset()
    closed = window_frame((*PRODUCTS[:3], HOSTILE), CLOSED)
    write_stream_outputs(site.outputs.parquet_dir, closed, None)
    write_answer(site.expected, answer_of(closed))
    page = tab.page
    page.goto(site.url)
    line = page.locator("#verification-line")
    expect(line).to_have_text(f"Closed windows verified: {CLOSED} of {CLOSED}")
    expect(line).to_have_attribute("data-verdict", "right")
    expect(line).to_have_css("color", GREEN)
    expect(page.locator("#verification-table")).to_be_hidden()
    expect(page.locator("#verification-summary")).to_contain_text("RIGHT: verified 12 of 12")
    expect(page.locator("#verification-note")).to_contain_text("48 of 48 window × group rows")

    wrong = closed.copy()
    wrong.loc[wrong["product"] == HOSTILE, "event_count"] += 1  # one group double counted
    clear(site.outputs.parquet_dir)
    write_stream_outputs(site.outputs.parquet_dir, wrong, None)
    expect(line).to_have_text(f"Closed windows verified: 0 of {CLOSED}", timeout=WAIT_MS)
    expect(line).to_have_attribute("data-verdict", "wrong")
    expect(line).to_have_css("color", RED)
    rows = page.locator("#verification-differences tr")
    expect(rows).to_have_count(6)  # the first five and "... and 7 more"
    expect(rows.nth(0)).to_contain_text(HOSTILE)  # shown as text, never as markup
    expect(rows.nth(0)).to_contain_text("count")
    expect(rows.nth(5)).to_contain_text("and 7 more")
    assert page.evaluate("() => window.__pwned") is None
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#card-verification").screenshot(path=str(ARTIFACTS / "verification_card.png"))
    assert tab.problems == []


def test_an_answer_not_written_yet_is_said_in_the_card(site: Site, tab: Tab) -> None:
    site.reset()
    closed = window_frame(PRODUCTS[:3], CLOSED)
    write_stream_outputs(site.outputs.parquet_dir, closed, None)
    page = tab.page
    page.goto(site.url)
    card = page.locator("#card-verification")
    expect(card).to_be_visible()
    expect(card.locator(".card-message")).to_contain_text("No expected answer yet")
    write_answer(site.expected, answer_of(closed))
    expect(page.locator("#verification-line")).to_have_attribute("data-verdict", "right",
                                                                  timeout=WAIT_MS)
    expect(card.locator(".card-message")).to_be_hidden()
    assert tab.problems == []

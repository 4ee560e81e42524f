"""The "closed windows verified" card in Debian's Chromium: green with N of N when the sink
matches the expected answer, red with the first differences when it does not, closed windows
that wait for a final answer said so, the answer's own problems shown in the card, and every
change seen without a reload."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from services.outputs import StreamOutputs
from services.streamcheck import EXPECTED_WINDOWS, write_answer
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
    expect(page.locator("#verification-pending")).to_be_hidden()
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


def test_closed_windows_that_wait_for_a_final_answer(site: Site, tab: Tab) -> None:
    site.reset()
    closed = window_frame(PRODUCTS[:3], CLOSED)
    write_stream_outputs(site.outputs.parquet_dir, closed, None)
    seventh_end = pd.Timestamp(sorted(closed["window_end"].unique())[6])
    until_ms = (seventh_end - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    write_answer(site.expected, replace(answer_of(closed), complete_until_ms=until_ms))
    page = tab.page
    page.goto(site.url)
    line = page.locator("#verification-line")
    expect(line).to_have_text("Closed windows verified: 7 of 7")
    expect(line).to_have_attribute("data-verdict", "right")
    expect(page.locator("#verification-note")).to_have_text(  # the answer's end, not the sink's
        re.compile(r"windows ending by .*10:30 UTC · 21 of 21 window × group rows"))
    pending = page.locator("#verification-pending")
    expect(pending).to_be_visible()
    expect(pending).to_contain_text(f"{CLOSED - 7} closed windows wait for the expected answer")
    expect(page.locator("#verification-summary")).to_contain_text(
        f"{CLOSED - 7} windows not yet judged")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#card-verification").screenshot(path=str(ARTIFACTS /
                                                           "verification_pending.png"))
    # the producer finished: the whole answer is final, every closed window is judged
    write_answer(site.expected, answer_of(closed))
    expect(line).to_have_text(f"Closed windows verified: {CLOSED} of {CLOSED}", timeout=WAIT_MS)
    expect(pending).to_be_hidden()
    assert tab.problems == []


def test_a_broken_answer_is_said_in_the_card_with_its_line(site: Site, tab: Tab) -> None:
    site.reset()
    closed = window_frame(PRODUCTS[:3], CLOSED)
    write_stream_outputs(site.outputs.parquet_dir, closed, None)
    write_answer(site.expected, answer_of(closed))
    path = site.expected / EXPECTED_WINDOWS
    lines = path.read_text().splitlines()
    lines[4] = lines[4].replace(",true", ",maybe")
    path.write_text("\n".join(lines) + "\n")
    page = tab.page
    page.goto(site.url)
    card = page.locator("#card-verification")
    expect(card).to_have_attribute("data-state", "error")
    message = card.locator(".card-message")
    expect(message).to_have_text(f"The expected answer cannot be read: {path}:5: column exact: "
                                 "expected true or false, got 'maybe'")
    expect(message).to_have_css("color", RED)
    expect(page.locator("#verification-line")).not_to_have_text("Closed windows verified: 0")
    expect(page.locator("#card-timeline")).to_be_visible()  # the rest of the page works
    write_answer(site.expected, answer_of(closed))  # mended: seen without a reload
    expect(page.locator("#verification-line")).to_have_attribute("data-verdict", "right",
                                                                  timeout=WAIT_MS)
    expect(message).to_be_hidden()
    assert tab.problems == []

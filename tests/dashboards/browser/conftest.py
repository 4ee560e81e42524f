"""Debian's Chromium driven by Playwright, for the `browser` tests of both pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.dashboards.browser.tab import Tab

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: run `make setup-test` "
                    "(apt-get install chromium)")
    expect.set_options(timeout=15_000)  # a loaded 2-core CI machine, not a flaky page
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    opened = Tab(context.new_page())
    opened.page.on("console", lambda m: opened.problems.append(f"console.{m.type}: {m.text}")
                   if m.type in ("error", "warning") else None)
    opened.page.on("pageerror", lambda e: opened.problems.append(f"pageerror: {e}"))
    try:
        yield opened
    finally:
        context.close()

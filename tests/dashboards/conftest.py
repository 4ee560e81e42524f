"""Fixtures for the dashboard tests: isolated settings, apps over temporary output folders,
and (for the `browser` tests) Debian's Chromium driven by Playwright plus a live server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, expect, sync_playwright

from dashboard import create_app as create_batch_app
from dashboard.settings import OPTIONS as BATCH_OPTIONS
from streaming_dashboard import create_app as create_stream_app
from streaming_dashboard.settings import OPTIONS as STREAM_OPTIONS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


SETTING_NAMES = tuple(option.env for option in (*BATCH_OPTIONS, *STREAM_OPTIONS))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No dashboard setting leaks in from the developer's shell."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


def build_isolated(factory: Callable[[dict[str, Any]], Flask], config: dict[str, Any]) -> Flask:
    """An app built with no dashboard setting from the shell (for module-scoped servers,
    which the function-scoped isolation above does not reach)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in SETTING_NAMES:
            patch.delenv(name, raising=False)
        return factory(config)


@pytest.fixture
def batch_dir(tmp_path: Path) -> Path:
    return tmp_path / "output" / "analysis_csv"


@pytest.fixture
def batch_app(batch_dir: Path) -> Flask:
    return create_batch_app({"OUT_LOCAL_CSV": str(batch_dir), "TESTING": True})


@pytest.fixture
def batch_client(batch_app: Flask) -> FlaskClient:
    return batch_app.test_client()


@pytest.fixture
def stream_dir(tmp_path: Path) -> Path:
    return tmp_path / "output" / "streaming_product_revenue"


@pytest.fixture
def stream_app(stream_dir: Path) -> Flask:
    return create_stream_app({"OUTPUT_PATH": str(stream_dir), "TESTING": True})


@pytest.fixture
def stream_client(stream_app: Flask) -> FlaskClient:
    return stream_app.test_client()


# ------------------------------------------------------------------ browser (see server.py)
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


@dataclass
class Tab:
    """A browser page and what went wrong in it: console errors/warnings, uncaught errors."""

    page: Page
    problems: list[str] = field(default_factory=list)


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

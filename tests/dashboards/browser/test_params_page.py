"""The pages' own requests: every value the scripts send is one the API accepts."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.dashboards.browser.tab import Tab
from tests.dashboards.server import LiveServer
from tests.dashboards.test_params import APPS, DIMENSIONS, NOT_APPLICABLE, TABLE


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(APPS))
def test_the_pages_send_only_accepted_values(tmp_path: Path, tab: Tab, name: str) -> None:
    """Every API request the page makes (including each breakdown dimension picked) is
    answered 200: the scripts never send what the API refuses."""
    app = APPS[name](tmp_path)
    answers: list[tuple[str, int]] = []
    tab.page.on("response", lambda r: answers.append((r.url, r.status))
                if urlsplit(r.url).path.startswith("/api/") else None)
    with LiveServer(app) as server:
        tab.page.goto(server.url)
        tab.page.wait_for_function(
            "() => document.body.dataset.version !== undefined", timeout=15_000)
        if name == "batch":
            for dimension in reversed(DIMENSIONS):
                with tab.page.expect_response(lambda r, d=dimension: f"dimension={d}" in r.url):
                    tab.page.select_option("#breakdown-dim", dimension)
    seen = {urlsplit(url).path for url, _ in answers}
    assert seen == set(TABLE[name]) - NOT_APPLICABLE.get(name, set()), seen  # no funnel asked
    assert [a for a in answers if a[1] != 200] == []
    assert tab.problems == []

"""Helpers for the browser tests: what the charts hold, waiting for the page to catch up."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

CHARTS_JS = """() => Object.values(window.Chart ? Chart.instances : {}).map(c => ({
    id: c.canvas.id,
    datasets: c.data.datasets.length,
    labels: c.data.labels.length,
    points: c.data.datasets.reduce(
        (n, d) => n + d.data.filter(v => v !== null && v !== undefined).length, 0),
}))"""
WAIT_MS = 15_000


def charts(page: Page) -> dict[str, dict[str, Any]]:
    """Chart.js instances on the page by canvas id, with dataset and point counts."""
    return {c["id"]: c for c in page.evaluate(CHARTS_JS)}


def wait_for_charts(page: Page, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Wait until every listed chart exists and has points."""
    page.wait_for_function(
        """ids => { const all = Object.values(window.Chart ? Chart.instances : {});
            return ids.every(id => all.some(c => c.canvas.id === id &&
                c.data.datasets.some(d => d.data.length > 0))); }""",
        arg=ids, timeout=WAIT_MS)
    return charts(page)


def clear(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)

"""What both dashboards' settings share: where they listen, how often pages poll, Chart.js."""

from __future__ import annotations

from services.common import settings as s
from services.common.paths import REPO_ROOT

CHARTJS_DEFAULT = REPO_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"


def web_options(prefix: str, port: int) -> tuple[s.Option, ...]:
    """Host, port, refresh interval, staleness and Chart.js, under `<prefix>_*` variables."""
    return (
        s.Option("host", f"{prefix}_HOST", s.host, "127.0.0.1"),
        s.Option("port", f"{prefix}_PORT", s.port, port),
        s.Option("refresh_seconds", f"{prefix}_REFRESH_SECONDS", s.interval_seconds, 5.0),
        s.Option("stale_after", f"{prefix}_STALE_AFTER", s.small_count, 3),
        s.Option("chartjs_path", "CHARTJS_PATH", s.path, CHARTJS_DEFAULT),
    )

"""The streaming dashboard's page: server-rendered labels and API URLs, data fetched by JS."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from streaming_dashboard.context import StreamContext

bp = Blueprint("pages", __name__)
API_NAMES = ("meta", "timeline", "leaderboard", "windows", "stream", "verification")


@bp.get("/")
def index() -> str:
    c: StreamContext = current_app.extensions["streaming"]
    page_config = {
        "refresh_seconds": c.settings.refresh_seconds,
        "top_n": c.settings.top_n,
        "currency": c.labels.currency,
        "api": {name: url_for(f"api.{name}") for name in API_NAMES},
        "job": "streaming job",
        "pill": {"live": "Live", "stale": "Stalled"},
    }
    return render_template(
        "streaming_dashboard.html", page_config=page_config, title=c.labels.title,
        subtitle="Live stream", top_n=c.settings.top_n,
        group_label=c.group_label(c.default_group),
        value_label=c.labels.windowed.label,
        page_script=url_for("static", filename="streaming.js"),
    )

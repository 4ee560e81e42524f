"""The batch dashboard's page: server-rendered labels and API URLs, data fetched by JS."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from dashboard.context import BatchContext

bp = Blueprint("pages", __name__)
API_NAMES = ("meta", "kpis", "trend", "segments", "breakdown", "rows", "quality")


@bp.get("/")
def index() -> str:
    c: BatchContext = current_app.extensions["batch"]
    has_funnel = c.dataset.lifecycle is not None
    names = (*API_NAMES, "funnel") if has_funnel else API_NAMES  # no funnel card otherwise
    page_config = {
        "refresh_seconds": c.settings.refresh_seconds,
        "labels": c.labels.to_json(),
        "api": {name: url_for(f"api.{name}") for name in names},
        "job": "batch job",
        "pill": {"live": "Live", "stale": "Idle"},
    }
    return render_template(
        "batch_dashboard.html", page_config=page_config, labels=c.labels,
        title=c.labels.title, subtitle="Batch analytics",
        page_script=url_for("static", filename="batch.js"),
        segment_title=" · ".join(d.label for d in c.labels.dimensions[:2]),
        metric_label=c.labels.metric.label if c.labels.metric else "Records",
        funnel=has_funnel,
    )

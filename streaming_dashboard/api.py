"""The streaming dashboard's JSON API; every answer uses the shared envelope."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, Response, current_app

from services.outputs import REVENUE, job_summary
from services.web.cache import latest_mtime, version_of
from services.web.envelope import OutputProblem, ok
from services.web.freshness import Freshness, assess
from services.web.params import Whole, takes
from streaming_dashboard import metrics, verification
from streaming_dashboard.context import StreamContext
from streaming_dashboard.ledger import ledger_view

bp = Blueprint("api", __name__)
RECENT_WINDOWS = 48


def ctx() -> StreamContext:
    return current_app.extensions["streaming"]


def freshness(c: StreamContext) -> Freshness:
    """Alive while some output changed within N trigger intervals (the job's own cadence)."""
    interval = c.settings.refresh_seconds
    try:
        trigger = c.store.status().get("trigger_seconds")
    except OutputProblem:
        trigger = None
    if isinstance(trigger, (int, float)) and not isinstance(trigger, bool) and trigger > 0:
        interval = max(interval, float(trigger))
    return assess(latest_mtime(c.store.signatures()), interval, c.settings.stale_after)


def job(c: StreamContext) -> dict[str, Any] | None:
    """The job's state from the status file; None while there is none."""
    try:
        return job_summary(c.store.status())
    except OutputProblem:
        return None


@bp.get("/meta")
def meta() -> Response:
    c = ctx()
    signatures = c.store.signatures()
    group = c.default_group
    with contextlib.suppress(OutputProblem):
        group = c.store.windows().group
    outputs = c.store.outputs
    return ok({
        "title": c.labels.title,
        "currency": c.labels.currency,
        "group_field": group,
        "group_label": c.group_label(group),
        "value_field": REVENUE,
        "value_label": c.labels.windowed.label,
        "money": c.labels.windowed.money,
        "top_n": c.settings.top_n,
        "refresh_seconds": c.settings.refresh_seconds,
        "stale_after": c.settings.stale_after,
        "freshness": freshness(c).to_json(),
        # a new answer in STREAM_EXPECTED_DIR also makes the page refetch
        "version": version_of(signatures if c.expected is None
                              else (*signatures, c.expected.signature())),
        "job": job(c),
        "sources": {"sink": str(outputs.parquet_dir), "live": str(outputs.live_file),
                    "status": str(outputs.status_file),
                    "expected": None if c.expected is None else str(c.expected.directory)},
    })


@bp.get("/timeline")
@takes(windows=Whole(1, 1000))
def timeline(windows: int | None) -> Response:
    c = ctx()
    windows = RECENT_WINDOWS if windows is None else windows
    top_n = c.settings.top_n
    return ok(c.store.derived("timeline", windows,
                              lambda w: metrics.timeline(w, top_n, windows)))


@bp.get("/leaderboard")
@takes(limit=Whole(1, 100))
def leaderboard(limit: int | None) -> Response:
    c = ctx()
    limit = c.settings.top_n if limit is None else limit
    return ok(c.store.derived("leaderboard", limit, lambda w: metrics.leaderboard(w, limit)))


@bp.get("/windows")
def windows() -> Response:
    c = ctx()
    return ok(c.store.derived("windows", RECENT_WINDOWS,
                              lambda w: metrics.window_health(w, RECENT_WINDOWS)))


@bp.get("/verification", endpoint="verification")
def verify() -> Response:
    """Closed windows against STREAM_EXPECTED_DIR's answer; {"configured": false} without."""
    c = ctx()
    if c.expected is None:
        return ok({"configured": False})
    windows = (c.store.sink_signature(), c.store.live_signature())
    answer = c.expected.signature()
    return ok(c.store.cache.get(
        ("verification", verification.SHOWN), (windows, answer),
        lambda: verification.payload(c.store.windows(windows), c.expected.answer(answer)),
        remember=(OutputProblem,)))


@bp.get("/stream")
def stream() -> Response:
    c = ctx()
    status = c.store.status()
    return ok(stream_payload(status, list(c.store.history), freshness(c)))


def stream_payload(status: dict[str, Any], history: list[dict[str, Any]],
                   fresh: Freshness) -> dict[str, Any]:
    """The status file as written, but its ledger checked (`ledger` is null and
    `ledger_note` says why when it cannot be shown), the dashboard's verdict, and the recent
    input rates."""
    ledger, note = ledger_view(status.get("ledger"))
    return {**status, "ledger": ledger, "ledger_note": note, "freshness": fresh.to_json(),
            "history": history}

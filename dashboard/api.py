"""The batch dashboard's JSON API; every answer uses the shared envelope."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from dashboard import metrics
from dashboard.context import BatchContext
from services.web.cache import latest_mtime, version_of
from services.web.envelope import NoData, OutputProblem, ok
from services.web.freshness import assess
from services.web.params import OneOf, Whole, takes

bp = Blueprint("api", __name__)


def ctx() -> BatchContext:
    return current_app.extensions["batch"]


def dimensions() -> tuple[str, ...]:
    """The values /breakdown accepts: the schema's dimensions, read per request."""
    return tuple(ctx().columns.dimensions)



@bp.get("/meta")
def meta() -> Response:
    c = ctx()
    signatures = c.store.signatures()
    freshness = assess(latest_mtime(signatures), c.settings.refresh_seconds,
                       c.settings.stale_after)
    version = version_of((*signatures, c.store.status_signature()))
    outputs = c.store.outputs
    funnel = {"funnel": str(outputs.funnel_dir)} if c.dataset.lifecycle else {}
    return ok({
        **c.labels.to_json(),
        "date_column": c.columns.date,
        "refresh_seconds": c.settings.refresh_seconds,
        "stale_after": c.settings.stale_after,
        "freshness": freshness.to_json(),
        "version": version,
        "job": c.store.job(),
        "sources": {
            "aggregates": str(outputs.csv_dir),
            "kpis": str(outputs.kpis_dir),
            "quality": str(outputs.quality_file),
            "status": str(outputs.status_file),
            **funnel,
        },
    })


@bp.get("/kpis")
def kpis() -> Response:
    c = ctx()
    return ok(metrics.kpis(c.store.kpis(), c.columns, c.labels))


@bp.get("/trend")
def trend() -> Response:
    c = ctx()
    if c.dataset.analysis.timestamp_field is None:
        raise NoData("The schema's analysis section names no timestamp field.")
    return ok(c.store.derived("trend", None, lambda f: metrics.trend(f, c.columns)))


@bp.get("/segments")
@takes(limit=Whole(1, 100))
def segments(limit: int | None) -> Response:
    c = ctx()
    limit = 10 if limit is None else limit
    return ok(c.store.derived("segments", limit,
                              lambda f: metrics.segments(f, c.columns, limit)))


@bp.get("/breakdown")
@takes(dimension=OneOf(dimensions, "the schema's dimensions"))
def breakdown(dimension: str | None) -> Response:
    c = ctx()
    dims = c.columns.dimensions
    if not dims:
        raise NoData("The schema's analysis section declares no dimensions.")
    dimension = dimension or dims[0]
    return ok(c.store.derived("breakdown", dimension,
                              lambda f: metrics.breakdown(f, c.columns, dimension)))


@bp.get("/rows")
@takes(limit=Whole(1, 500))
def rows(limit: int | None) -> Response:
    c = ctx()
    limit = 25 if limit is None else limit
    return ok(c.store.derived("rows", limit,
                              lambda f: metrics.sample_rows(f, c.columns, c.labels, limit)))


@bp.get("/funnel")
def funnel() -> Response:
    c = ctx()
    lifecycle = c.dataset.lifecycle
    if lifecycle is None:
        raise NoData("The schema has no lifecycle, so the batch job writes no funnel.")
    return ok(c.store.funnel(lambda f: metrics.funnel(f, c.columns.date, lifecycle.names)))


@bp.get("/quality")
def quality() -> Response:
    return ok(quality_payload(ctx().store.quality()))


def quality_payload(report: dict[str, Any]) -> dict[str, Any]:
    """The report as written, plus the totals the page shows first."""
    dropped = report.get("rows_dropped") or {}
    if not isinstance(dropped, dict):
        raise OutputProblem("The data-quality report's rows_dropped should be an object.")
    dropped_total = sum(v for v in dropped.values() if isinstance(v, (int, float)))
    rows_read = report.get("rows_read")
    kept = (1 - dropped_total / rows_read) if isinstance(rows_read, (int, float)) \
        and rows_read else None
    return {**report, "rows_dropped_total": dropped_total, "kept_rate": kept}

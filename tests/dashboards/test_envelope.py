"""Every /api route of both apps answers in the one envelope, whatever state the outputs are
in: present, missing, or broken. Routes are found from the apps' URL maps, so a new route is
checked without anyone adding it here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask

from dashboard import create_app as create_batch_app
from services.streamcheck import LEDGER_FILE, write_answer
from streaming_dashboard import create_app as create_stream_app
from tests.dashboards.fixtures import (
    CARD_VALUES,
    LIFECYCLE_SCHEMA,
    LIFECYCLE_VALUES,
    PRODUCTS,
    answer_of,
    batch_frame,
    card_columns,
    funnel_frame,
    lifecycle_columns,
    window_frame,
    write_batch_outputs,
    write_spark_csv,
    write_stream_outputs,
)

STATES = ("present", "missing", "broken")


def batch(tmp_path: Path, state: str) -> Flask:
    csv_dir = tmp_path / "analysis_csv"
    if state != "missing":
        columns = card_columns()
        outputs = write_batch_outputs(csv_dir, batch_frame(columns, CARD_VALUES, 3), columns)
        if state == "broken":
            for part in [*csv_dir.glob("part-*"), *outputs.kpis_dir.glob("part-*")]:
                part.write_text(part.read_text()[:-7])
            outputs.quality_file.write_text('{"dataset": ')
    return create_batch_app({"OUT_LOCAL_CSV": str(csv_dir)})


def lifecycle(tmp_path: Path, state: str) -> Flask:
    """The batch app of a lifecycle schema, whose funnel folder is one more output."""
    csv_dir = tmp_path / "analysis_csv"
    if state != "missing":
        columns = lifecycle_columns()
        frame = batch_frame(columns, LIFECYCLE_VALUES, 3)
        outputs = write_batch_outputs(csv_dir, frame, columns)
        write_spark_csv(outputs.funnel_dir, funnel_frame())
        if state == "broken":
            for part in [*csv_dir.glob("part-*"), *outputs.kpis_dir.glob("part-*"),
                         *outputs.funnel_dir.glob("part-*")]:
                part.write_text(part.read_text()[:-7])
            outputs.quality_file.write_text('{"dataset": ')
    return create_batch_app({"OUT_LOCAL_CSV": str(csv_dir),
                             "SCHEMA_CONFIG_PATH": str(LIFECYCLE_SCHEMA)})


def stream(tmp_path: Path, state: str) -> Flask:
    sink, expected = tmp_path / "stream", tmp_path / "expected"
    if state != "missing":
        closed = window_frame(PRODUCTS, 8)
        outputs = write_stream_outputs(sink, closed, window_frame(PRODUCTS, 2), files=1)
        write_answer(expected, answer_of(closed))
        if state == "broken":
            for part in sink.glob("part-*"):
                part.write_bytes(b"PAR1")
            outputs.live_file.write_text("{")
            outputs.status_file.write_text('{"batch_id": ')
            (expected / LEDGER_FILE).write_text('{"ledger": ')
    return create_stream_app({"OUTPUT_PATH": str(sink), "STREAM_EXPECTED_DIR": str(expected)})


APPS: dict[str, Callable[[Path, str], Flask]] = {"batch": batch, "lifecycle": lifecycle,
                                                  "streaming": stream}
# Routes that say no_data whatever the outputs, for an app's schema: a flat schema has no funnel
NOT_APPLICABLE = {"batch": {"/api/funnel"}}


def api_routes(app: Flask) -> list[str]:
    routes = sorted(rule.rule for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/api/") and "GET" in (rule.methods or ()))
    assert all("<" not in r for r in routes), "a route with URL arguments needs a sample"
    return routes


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("name", sorted(APPS))
def test_every_api_route_answers_in_the_envelope(tmp_path: Path, name: str, state: str) -> None:
    app = APPS[name](tmp_path, state)
    routes = api_routes(app)
    assert len(routes) >= 5
    client = app.test_client()
    statuses = set()
    for route in [*routes, "/healthz"]:
        response = client.get(route)
        assert response.status_code == 200, (route, response.data[:300])
        assert response.mimetype == "application/json", route
        assert response.headers["Cache-Control"] == "no-store", route
        body = response.get_json()
        assert set(body) <= {"status", "data", "generated_at", "message"}, route
        assert body["status"] in ("ok", "no_data", "error"), route
        datetime.strptime(body["generated_at"], "%Y-%m-%dT%H:%M:%SZ")
        if body["status"] == "ok":
            assert body["data"] is not None and "message" not in body, route
        else:
            assert isinstance(body["message"], str) and len(body["message"]) > 10, route
        if route in NOT_APPLICABLE.get(name, ()):
            assert body["status"] == "no_data", route
        else:
            statuses.add(body["status"])
    expected = {"present": {"ok"}, "missing": {"ok", "no_data"}, "broken": {"ok", "error"}}
    assert statuses == expected[state], statuses


@pytest.mark.parametrize("name", sorted(APPS))
def test_unknown_routes_and_methods_use_the_envelope_too(tmp_path: Path, name: str) -> None:
    client = APPS[name](tmp_path, "present").test_client()
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404 and missing.get_json()["status"] == "error"
    assert "404" in missing.get_json()["message"]
    wrong = client.post("/api/meta")
    assert wrong.status_code == 405 and wrong.get_json()["status"] == "error"
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.mark.parametrize("name", sorted(APPS))
def test_an_unexpected_failure_is_a_500_in_the_envelope(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = APPS[name](tmp_path, "present")
    store = next(iter(app.extensions.values())).store

    def explode() -> tuple[()]:
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "signatures", explode)
    response = app.test_client().get("/api/meta")
    body = response.get_json()
    assert response.status_code == 500 and body["status"] == "error"
    assert "RuntimeError" in body["message"] and "boom" not in body["message"]


@pytest.mark.parametrize("name", sorted(APPS))
def test_pages_carry_a_strict_content_security_policy(tmp_path: Path, name: str) -> None:
    response = APPS[name](tmp_path, "present").test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"

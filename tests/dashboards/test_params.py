"""Every query parameter of both dashboards is checked the same way: a bad, unknown or
repeated one is a 400 in the error envelope whose message names the parameter, the value and
what is accepted. Routes come from the apps' URL maps and must all be in the table below, and
the table must match what each view declares, so no route or parameter can be forgotten."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from dashboard import create_app as create_batch_app
from services.web.envelope import BadRequest, ok
from services.web.params import OneOf, Whole, declared_params, parse_query
from streaming_dashboard import create_app as create_stream_app
from tests.dashboards.fixtures import (
    CARD_VALUES,
    PRODUCTS,
    batch_frame,
    card_columns,
    window_frame,
    write_batch_outputs,
    write_stream_outputs,
)

# Text that no parameter of either dashboard accepts, whatever its type.
NEVER = ["", " ", "abc", "1.5", "1e3", " 5", "+5", "1_0", "\u0663", "<script>", "%", "null"]


@dataclass(frozen=True)
class Spec:
    """One parameter in the table: values it must accept, values it must refuse, and a
    fragment of the accepted values its message must show."""

    good: tuple[str, ...]
    bad: tuple[str, ...]
    accepted: str


def whole(low: int, high: int) -> Spec:
    return Spec((str(low), str(high)), (*NEVER, str(low - 1), str(high + 1), "-1",
                                        "99999999999"), f"from {low} to {high}")


DIMENSIONS = ("city", "channel", "merchant_cat")
TABLE: dict[str, dict[str, dict[str, Spec]]] = {
    "batch": {
        "/api/meta": {}, "/api/kpis": {}, "/api/trend": {}, "/api/quality": {},
        "/api/funnel": {},
        "/api/segments": {"limit": whole(1, 100)},
        "/api/rows": {"limit": whole(1, 500)},
        "/api/breakdown": {"dimension": Spec(
            DIMENSIONS, (*NEVER, "card_id", "City", "city ", "amount", "event_time_date"),
            ", ".join(DIMENSIONS))},
    },
    "streaming": {
        "/api/meta": {}, "/api/windows": {}, "/api/stream": {}, "/api/verification": {},
        "/api/timeline": {"windows": whole(1, 1000)},
        "/api/leaderboard": {"limit": whole(1, 100)},
    },
}
# Routes of no use to the app's schema, which say so (no_data): the card schema has no funnel
NOT_APPLICABLE = {"batch": {"/api/funnel"}}


def batch(tmp_path: Path) -> Flask:
    csv_dir = tmp_path / "analysis_csv"
    columns = card_columns()
    write_batch_outputs(csv_dir, batch_frame(columns, CARD_VALUES, 3), columns)
    return create_batch_app({"OUT_LOCAL_CSV": str(csv_dir)})


def stream(tmp_path: Path) -> Flask:
    sink = tmp_path / "stream"
    write_stream_outputs(sink, window_frame(PRODUCTS, 8), window_frame(PRODUCTS, 2), files=1)
    return create_stream_app({"OUTPUT_PATH": str(sink)})


APPS: dict[str, Callable[[Path], Flask]] = {"batch": batch, "streaming": stream}


def api_views(app: Flask) -> dict[str, Callable[..., Any]]:
    """Every GET route under /api with its view function."""
    return {rule.rule: app.view_functions[rule.endpoint] for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") and "GET" in (rule.methods or ())}


def refused(app: Flask, url: str) -> str:
    """The message of a 400 in the error envelope (fails on anything else)."""
    response = app.test_client().get(url)
    body = response.get_json()
    assert response.status_code == 400, (url, response.status_code, body)
    assert response.mimetype == "application/json", url
    assert set(body) == {"status", "data", "generated_at", "message"}, url
    assert body["status"] == "error" and body["data"] is None, url
    return body["message"]


@pytest.mark.parametrize("name", sorted(APPS))
def test_the_table_lists_every_route_and_what_each_view_declares(
        tmp_path: Path, name: str) -> None:
    views = api_views(APPS[name](tmp_path))
    assert sorted(views) == sorted(TABLE[name]), "a new /api route needs a row in TABLE"
    for route, view in views.items():
        assert sorted(declared_params(view)) == sorted(TABLE[name][route]), route


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_bad_value_of_every_parameter_is_a_400_naming_it(tmp_path: Path,
                                                               name: str) -> None:
    app = APPS[name](tmp_path)
    checked = 0
    for route, params in TABLE[name].items():
        for param, spec in params.items():
            for value in spec.bad:
                message = refused(app, f"{route}?{urlencode({param: value})}")
                assert f"{param}={value!r}" in message, message
                assert "expected" in message and spec.accepted in message, message
                assert route in message, message
                checked += 1
    assert checked >= 2 * len(NEVER)  # each dashboard has at least two parameters


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_accepted_value_and_no_value_answer_200(tmp_path: Path, name: str) -> None:
    client = APPS[name](tmp_path).test_client()
    for route, params in TABLE[name].items():
        urls = [route] + [f"{route}?{urlencode({p: v})}" for p, s in params.items()
                          for v in s.good]
        status = "no_data" if route in NOT_APPLICABLE.get(name, ()) else "ok"
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.get_json())
            assert response.get_json()["status"] == status, url


@pytest.mark.parametrize("name", sorted(APPS))
def test_unknown_parameters_are_refused_on_every_route(tmp_path: Path, name: str) -> None:
    app = APPS[name](tmp_path)
    for route, params in TABLE[name].items():
        message = refused(app, f"{route}?by=city")
        assert "by='city'" in message and route in message, message
        if params:
            assert f"it takes only {', '.join(params)}" in message, message
        else:
            assert "takes no query parameters" in message, message


@pytest.mark.parametrize("name", sorted(APPS))
def test_a_parameter_given_twice_is_refused(tmp_path: Path, name: str) -> None:
    app = APPS[name](tmp_path)
    for route, params in TABLE[name].items():
        for param, spec in params.items():
            message = refused(app, f"{route}?{param}={spec.good[0]}&{param}={spec.good[-1]}")
            assert f"{param} is given 2 times" in message and "give it once" in message


def test_breakdown_by_an_unknown_name_lists_the_dimensions(tmp_path: Path) -> None:
    message = refused(batch(tmp_path), "/api/breakdown?dimension=by_city")
    assert message == ("dimension='by_city' is not accepted by /api/breakdown: expected one "
                       "of the schema's dimensions: city, channel, merchant_cat.")


def test_a_route_that_declares_nothing_takes_nothing(tmp_path: Path) -> None:
    """A view added without @takes cannot quietly ignore a parameter."""
    app = batch(tmp_path)
    app.add_url_rule("/api/extra", "extra", lambda: ok({"extra": True}))
    client = app.test_client()
    assert client.get("/api/extra").status_code == 200
    assert "takes no query parameters" in refused(app, "/api/extra?limit=5")
    assert client.get("/?utm_source=mail").status_code == 200  # pages are not the API


def test_parse_query_outside_a_request() -> None:
    params = {"n": Whole(1, 3), "pick": OneOf(lambda: ("a", "b"), "letters")}
    assert parse_query(MultiDict([("n", "3")]), params, "/x") == {"n": 3, "pick": None}
    assert parse_query(MultiDict([("pick", "b")]), params, "/x") == {"n": None, "pick": "b"}
    with pytest.raises(BadRequest, match=r"pick='c' is not accepted by /x: expected one of "
                                         r"letters: a, b\."):
        parse_query(MultiDict([("pick", "c")]), params, "/x")
    empty = {"pick": OneOf(lambda: (), "dimensions")}
    with pytest.raises(BadRequest, match="expected nothing: there are no dimensions"):
        parse_query(MultiDict([("pick", "a")]), empty, "/x")

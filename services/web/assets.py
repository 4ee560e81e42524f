"""The shared web layer: base template, CSS, page helpers, Chart.js from node_modules (never
a CDN, so pages work offline), /healthz, and the headers every response carries."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request, send_file

from services.web.envelope import ok

# Scripts only from this server; data reaches the page as JSON and is written as text.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'none'")
CHARTJS_KEY = "CHARTJS_FILE"


def web_blueprint() -> Blueprint:
    bp = Blueprint("web", __name__, static_folder="static", static_url_path="/web-static",
                   template_folder="templates")
    bp.add_url_rule("/vendor/chart.umd.min.js", "chartjs", _chartjs)
    bp.add_url_rule("/healthz", "healthz", _healthz)
    return bp


def _chartjs() -> Response | tuple[str, int, dict[str, str]]:
    path: Path = current_app.config[CHARTJS_KEY]
    if not path.is_file():
        message = (f"// Chart.js is not installed at {path}: run `make setup` "
                   "(npm ci installs it from package-lock.json).\n")
        return message, 404, {"Content-Type": "text/javascript; charset=utf-8"}
    return send_file(path, mimetype="text/javascript", max_age=3600)


def _healthz() -> Response:
    return ok({"app": current_app.name, "alive": True})


def install_web(app: Flask, chartjs: Path) -> None:
    """Register the shared blueprint and the headers: CSP, no sniffing, no caching of APIs."""
    app.config[CHARTJS_KEY] = chartjs
    app.register_blueprint(web_blueprint())

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/api/") or request.path == "/healthz":
            response.headers["Cache-Control"] = "no-store"
        return response

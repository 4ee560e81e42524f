"""The common shape of both dashboards' app factories, kept once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask

from services.common.settings import Option
from services.web.assets import install_web
from services.web.envelope import install_api_errors
from services.web.params import install_query_check


def make_app(import_name: str, settings: Any, options: tuple[Option, ...],
             test_config: Mapping[str, Any] | None, pages: Blueprint, api: Blueprint) -> Flask:
    """A Flask app with its settings, the shared web layer, its page and /api blueprints,
    the API error envelope and the query-parameter check. Test-config keys that are not
    settings (TESTING...) go to app.config as they are."""
    app = Flask(import_name)
    app.config["SETTINGS"] = settings
    names = {option.env for option in options}
    app.config.update({k: v for k, v in (test_config or {}).items() if k not in names})
    install_web(app, settings.chartjs_path)
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    install_api_errors(app)
    install_query_check(app)
    return app

"""Settings: defaults, then the environment (read by the factory, not at import), then the
test mapping; a bad value names its variable; `python -m` serves on the configured port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import dashboard
import streaming_dashboard
from dashboard import create_app as create_batch_app
from dashboard.settings import BatchDashboardSettings
from services.common.settings import SettingsError
from services.web import serve
from services.web.settings import REPO_ROOT
from streaming_dashboard import create_app as create_stream_app
from streaming_dashboard.settings import StreamDashboardSettings


def test_batch_defaults_are_for_make_demo() -> None:
    settings = BatchDashboardSettings.load({})
    assert settings.out_local_csv == REPO_ROOT / "data/output/analysis_csv"
    assert settings.schema_path.name == "card_transactions.json"
    assert (settings.host, settings.port) == ("127.0.0.1", 5000)
    assert (settings.refresh_seconds, settings.stale_after) == (5.0, 3)
    assert settings.chartjs_path.name == "chart.umd.min.js"


def test_stream_defaults_are_for_make_demo() -> None:
    settings = StreamDashboardSettings.load({})
    assert settings.output_path == REPO_ROOT / "data/output/streaming_product_revenue"
    assert settings.schema_path is None and settings.labels_schema.name == "retail_orders.json"
    assert (settings.host, settings.port, settings.top_n) == ("127.0.0.1", 5100, 8)
    assert settings.expected_dir is None  # no verification card


def test_environment_then_test_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OUT_LOCAL_CSV", f"file://{tmp_path}/csv")
    monkeypatch.setenv("DASHBOARD_PORT", "5055")
    monkeypatch.setenv("DASHBOARD_REFRESH_SECONDS", "2.5")
    app = create_batch_app({"DASHBOARD_PORT": 6000, "TESTING": True})
    settings = app.config["SETTINGS"]
    assert settings.out_local_csv == tmp_path / "csv"
    assert settings.refresh_seconds == 2.5 and settings.port == 6000
    assert app.config["TESTING"] is True
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_environment_is_read_by_the_factory_not_at_import(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    assert not hasattr(dashboard, "app") and not hasattr(streaming_dashboard, "app")
    monkeypatch.setenv("STREAM_TOP_N", "3")
    assert create_stream_app().config["SETTINGS"].top_n == 3
    monkeypatch.setenv("STREAM_TOP_N", "4")
    assert create_stream_app().config["SETTINGS"].top_n == 4


@pytest.mark.parametrize(("factory", "variable", "value", "words"), [
    (create_batch_app, "DASHBOARD_PORT", "five thousand", "port number"),
    (create_batch_app, "DASHBOARD_PORT", "70000", "port number"),
    (create_batch_app, "DASHBOARD_REFRESH_SECONDS", "0", "seconds"),
    (create_batch_app, "DASHBOARD_STALE_AFTER", "-1", "whole number"),
    (create_batch_app, "OUT_LOCAL_CSV", "hdfs://namenode:8020/data/output/x", "local folder"),
    (create_stream_app, "STREAMING_DASHBOARD_PORT", "abc", "port number"),
    (create_stream_app, "STREAM_TOP_N", "many", "whole number"),
    (create_stream_app, "STREAMING_DASHBOARD_REFRESH_SECONDS", "0", "seconds"),
    (create_stream_app, "STREAMING_DASHBOARD_HOST", "local host", "host"),
])
def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch, factory: Any,
                                          variable: str, value: str, words: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        factory()
    assert str(caught.value).startswith(f"{variable}={value!r}") and words in str(caught.value)


def test_a_bad_schema_file_fails_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "schema.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        create_batch_app({"SCHEMA_CONFIG_PATH": str(bad)})


def test_python_m_refuses_a_bad_port_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dashboard"], cwd=REPO_ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DASHBOARD_PORT": "http"}, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: DASHBOARD_PORT='http' is not usable: expected a port number between 0 and "
        "65535"]


@pytest.mark.parametrize(("factory", "argv", "env", "expected"), [
    (create_batch_app, [], {}, ("127.0.0.1", 5000)),
    (create_batch_app, ["--port", "5999"], {"DASHBOARD_HOST": "0.0.0.0"}, ("0.0.0.0", 5999)),
    (create_stream_app, [], {"STREAMING_DASHBOARD_PORT": "5222"}, ("127.0.0.1", 5222)),
    (create_stream_app, ["--host", "localhost"], {}, ("localhost", 5100)),
])
def test_serve_main_uses_settings_then_arguments(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], factory: Any,
        argv: list[str], env: dict[str, str], expected: tuple[str, int]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    served: dict[str, Any] = {}

    def fake_run_simple(host: str, port: int, app: Any, **options: Any) -> None:
        served.update(host=host, port=port, app=app, **options)

    monkeypatch.setattr(serve, "run_simple", fake_run_simple)
    monkeypatch.setattr(serve, "configure_logging", lambda level: None)
    assert serve.serve_main(argv, prog="x", description="Dashboard", create_app=factory) == 0
    assert (served["host"], served["port"]) == expected
    assert served["threaded"] is True and served["use_reloader"] is False
    assert f":{expected[1]}/" in capsys.readouterr().out

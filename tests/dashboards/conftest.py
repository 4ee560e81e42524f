"""Fixtures for the dashboard tests: isolated settings and apps over temporary output
folders. The browser tests' fixtures are in browser/conftest.py, so these tests run without
Playwright."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app as create_batch_app
from services.common.variables import CATALOGUE
from streaming_dashboard import create_app as create_stream_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def build_isolated(factory: Callable[[dict[str, Any]], Flask], config: dict[str, Any]) -> Flask:
    """An app built with no setting from the shell (for module-scoped servers, which the
    function-scoped isolation in tests/conftest.py does not reach)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in CATALOGUE:
            patch.delenv(name, raising=False)
        return factory(config)


@pytest.fixture
def batch_dir(tmp_path: Path) -> Path:
    return tmp_path / "output" / "analysis_csv"


@pytest.fixture
def batch_app(batch_dir: Path) -> Flask:
    return create_batch_app({"OUT_LOCAL_CSV": str(batch_dir), "TESTING": True})


@pytest.fixture
def batch_client(batch_app: Flask) -> FlaskClient:
    return batch_app.test_client()


@pytest.fixture
def stream_dir(tmp_path: Path) -> Path:
    return tmp_path / "output" / "streaming_product_revenue"


@pytest.fixture
def stream_app(stream_dir: Path) -> Flask:
    return create_stream_app({"OUTPUT_PATH": str(stream_dir), "TESTING": True})


@pytest.fixture
def stream_client(stream_app: Flask) -> FlaskClient:
    return stream_app.test_client()

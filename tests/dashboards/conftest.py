"""Fixtures for the dashboard tests: isolated settings and apps over temporary output
folders. The browser tests' fixtures are in browser/conftest.py, so these tests run without
Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app as create_batch_app
from streaming_dashboard import create_app as create_stream_app


@pytest.fixture
def batch_dir(tmp_path: Path) -> Path:
    return tmp_path / "output" / "analysis_csv"


@pytest.fixture
def batch_app(batch_dir: Path) -> Flask:
    return create_batch_app({"OUT_LOCAL_CSV": str(batch_dir), "TESTING": True})


@pytest.fixture
def batch_client(batch_app: Flask) -> FlaskClient:
    return batch_app.test_client()


@pytest.fixture(scope="session")
def lifecycle_run(spark, tmp_path_factory: pytest.TempPathFactory):
    """The real batch job's outputs over orders of the shipped lifecycle schema, made once
    for the funnel's API and browser tests (imported here only when asked for: Spark)."""
    from tests.dashboards.lifecycle_job import run_lifecycle_job

    return run_lifecycle_job(spark, tmp_path_factory.mktemp("lifecycle"))


@pytest.fixture
def stream_dir(tmp_path: Path) -> Path:
    return tmp_path / "output" / "streaming_product_revenue"


@pytest.fixture
def stream_app(stream_dir: Path) -> Flask:
    return create_stream_app({"OUTPUT_PATH": str(stream_dir), "TESTING": True})


@pytest.fixture
def stream_client(stream_app: Flask) -> FlaskClient:
    return stream_app.test_client()

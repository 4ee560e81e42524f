"""The batch dashboard: KPI tiles, daily trend, top segments, breakdown by any
dimension, sample aggregate rows, the data-quality report and, for a lifecycle dataset, its
funnel, from the batch job's output."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from dashboard import api, pages
from dashboard.context import BatchContext
from dashboard.data import BatchStore
from dashboard.settings import OPTIONS, BatchDashboardSettings
from services.outputs import BatchColumns, BatchOutputs
from services.schema import load_schema
from services.web.factory import make_app
from services.web.labels import dataset_labels


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment (read here, once), then `test_config`."""
    settings = BatchDashboardSettings.load(os.environ, test_config)
    dataset = load_schema(settings.schema_path)
    columns = BatchColumns.of(dataset.analysis)
    app = make_app(__name__, settings, OPTIONS, test_config, pages.bp, api.bp)
    app.extensions["batch"] = BatchContext(
        settings=settings, dataset=dataset, labels=dataset_labels(dataset), columns=columns,
        store=BatchStore(BatchOutputs(settings.out_local_csv), columns,
                         funnel=dataset.lifecycle is not None))
    return app

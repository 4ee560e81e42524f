"""The streaming dashboard: rolling revenue per window for the top groups, the
latest window's leaderboard, window health and stream health, from the streaming job."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from services.outputs import RETAIL_GROUP, StreamOutputs
from services.schema import load_schema
from services.web.factory import make_app
from services.web.labels import dataset_labels
from streaming_dashboard import api, pages
from streaming_dashboard.context import StreamContext
from streaming_dashboard.data import ExpectedAnswer, StreamStore
from streaming_dashboard.settings import OPTIONS, StreamDashboardSettings


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment (read here, once), then `test_config`."""
    settings = StreamDashboardSettings.load(os.environ, test_config)
    dataset = load_schema(settings.labels_schema)
    labels = dataset_labels(dataset)
    # Schema mode groups by the first dimension; the retail mode (no schema set) by product.
    group = labels.dimensions[0].name if settings.schema_path and labels.dimensions \
        else RETAIL_GROUP
    app = make_app(__name__, settings, OPTIONS, test_config, pages.bp, api.bp)
    store = StreamStore(StreamOutputs(settings.output_path), group)
    expected = None if settings.expected_dir is None else \
        ExpectedAnswer(settings.expected_dir, store.cache)
    app.extensions["streaming"] = StreamContext(
        settings=settings, labels=labels, default_group=group, store=store, expected=expected)
    return app

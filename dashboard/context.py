"""What the batch dashboard's views share for one app: settings, schema labels, the store."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.data import BatchStore
from dashboard.settings import BatchDashboardSettings
from services.outputs import BatchColumns
from services.schema import Dataset
from services.web.labels import DatasetLabels


@dataclass(frozen=True)
class BatchContext:
    settings: BatchDashboardSettings
    dataset: Dataset
    labels: DatasetLabels
    columns: BatchColumns
    store: BatchStore

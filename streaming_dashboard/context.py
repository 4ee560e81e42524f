"""What the streaming dashboard's views share for one app: settings, labels, the store."""

from __future__ import annotations

from dataclasses import dataclass

from services.web.labels import DatasetLabels, humanize
from streaming_dashboard.data import ExpectedAnswer, StreamStore
from streaming_dashboard.settings import StreamDashboardSettings


@dataclass(frozen=True)
class StreamContext:
    settings: StreamDashboardSettings
    labels: DatasetLabels
    default_group: str
    store: StreamStore
    expected: ExpectedAnswer | None = None  # STREAM_EXPECTED_DIR's answer, when set

    def group_label(self, group: str) -> str:
        for dim in self.labels.dimensions:
            if dim.name == group:
                return dim.label
        return humanize(group)

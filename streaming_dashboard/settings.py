"""The streaming dashboard's settings: defaults, then the environment, then a test mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.web.settings import (
    CHARTJS_DEFAULT,
    REPO_ROOT,
    Option,
    parse_count,
    parse_host,
    parse_local_path,
    parse_optional_path,
    parse_path,
    parse_port,
    parse_seconds,
    resolve,
)

# The streaming job's retail mode is the default; its labels come from the retail schema.
RETAIL_SCHEMA = REPO_ROOT / "services/batch/schemas/retail_orders.json"

OPTIONS = (
    Option("output_path", "OUTPUT_PATH", parse_local_path,
           REPO_ROOT / "data/output/streaming_product_revenue"),
    Option("schema_path", "SCHEMA_CONFIG_PATH", parse_optional_path, None),
    Option("host", "STREAMING_DASHBOARD_HOST", parse_host, "127.0.0.1"),
    Option("port", "STREAMING_DASHBOARD_PORT", parse_port, 5100),
    Option("refresh_seconds", "STREAMING_DASHBOARD_REFRESH_SECONDS", parse_seconds, 5.0),
    Option("stale_after", "STREAMING_DASHBOARD_STALE_AFTER", parse_count, 3),
    Option("top_n", "STREAM_TOP_N", parse_count, 8),
    Option("chartjs_path", "CHARTJS_PATH", parse_path, CHARTJS_DEFAULT),
)


@dataclass(frozen=True)
class StreamSettings:
    output_path: Path
    schema_path: Path | None
    host: str
    port: int
    refresh_seconds: float
    stale_after: int
    top_n: int
    chartjs_path: Path

    @property
    def labels_schema(self) -> Path:
        """The schema whose analysis section labels the page (retail when none is set)."""
        return self.schema_path or RETAIL_SCHEMA

    @classmethod
    def load(cls, environ: Mapping[str, str],
             overrides: Mapping[str, Any] | None = None) -> StreamSettings:
        return cls(**resolve(OPTIONS, environ, overrides))

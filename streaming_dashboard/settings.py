"""The streaming dashboard's settings: defaults, then the environment, then a test mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common import settings as s
from services.common.paths import REPO_ROOT, RETAIL_SCHEMA
from services.web.settings import web_options

# The streaming job's retail mode is the default; its labels come from the retail schema.

OPTIONS = (
    s.Option("output_path", "OUTPUT_PATH", s.local_folder,
             REPO_ROOT / "data/output/streaming_product_revenue"),
    s.Option("schema_path", "SCHEMA_CONFIG_PATH", s.path, None),
    s.Option("top_n", "STREAM_TOP_N", s.small_count, 8),
    s.Option("expected_dir", "STREAM_EXPECTED_DIR", s.path, None),
    *web_options("STREAMING_DASHBOARD", 5100),
)


@dataclass(frozen=True)
class StreamDashboardSettings:
    output_path: Path
    schema_path: Path | None
    top_n: int
    expected_dir: Path | None  # an expected answer to verify closed windows against
    host: str
    port: int
    refresh_seconds: float
    stale_after: int
    chartjs_path: Path

    @property
    def labels_schema(self) -> Path:
        """The schema whose analysis section labels the page (retail when none is set)."""
        return self.schema_path or RETAIL_SCHEMA

    @classmethod
    def load(cls, environ: Mapping[str, str],
             overrides: Mapping[str, Any] | None = None) -> StreamDashboardSettings:
        return cls(**s.resolve(OPTIONS, environ, overrides))

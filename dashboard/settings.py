"""The batch dashboard's settings: defaults, then the environment, then a test mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common import settings as s
from services.common.paths import DEFAULT_SCHEMA, REPO_ROOT
from services.web.settings import web_options

OPTIONS = (
    s.Option("out_local_csv", "OUT_LOCAL_CSV", s.local_folder,
             REPO_ROOT / "data/output/analysis_csv"),
    s.Option("schema_path", "SCHEMA_CONFIG_PATH", s.path, DEFAULT_SCHEMA),
    *web_options("DASHBOARD", 5000),
)


@dataclass(frozen=True)
class BatchDashboardSettings:
    out_local_csv: Path
    schema_path: Path
    host: str
    port: int
    refresh_seconds: float
    stale_after: int
    chartjs_path: Path

    @classmethod
    def load(cls, environ: Mapping[str, str],
             overrides: Mapping[str, Any] | None = None) -> BatchDashboardSettings:
        return cls(**s.resolve(OPTIONS, environ, overrides))

"""The batch dashboard's settings: defaults, then the environment, then a test mapping."""

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
    parse_path,
    parse_port,
    parse_seconds,
    resolve,
)

OPTIONS = (
    Option("out_local_csv", "OUT_LOCAL_CSV", parse_local_path,
           REPO_ROOT / "data/output/analysis_csv"),
    Option("schema_path", "SCHEMA_CONFIG_PATH", parse_path,
           REPO_ROOT / "services/batch/schemas/card_transactions.json"),
    Option("host", "DASHBOARD_HOST", parse_host, "127.0.0.1"),
    Option("port", "DASHBOARD_PORT", parse_port, 5000),
    Option("refresh_seconds", "DASHBOARD_REFRESH_SECONDS", parse_seconds, 5.0),
    Option("stale_after", "DASHBOARD_STALE_AFTER", parse_count, 3),
    Option("chartjs_path", "CHARTJS_PATH", parse_path, CHARTJS_DEFAULT),
)


@dataclass(frozen=True)
class BatchSettings:
    out_local_csv: Path
    schema_path: Path
    host: str
    port: int
    refresh_seconds: float
    stale_after: int
    chartjs_path: Path

    @classmethod
    def load(cls, environ: Mapping[str, str],
             overrides: Mapping[str, Any] | None = None) -> BatchSettings:
        return cls(**resolve(OPTIONS, environ, overrides))

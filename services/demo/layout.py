"""Where the demo keeps things under its work folder, and the settings each process gets."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from services.cleanup import recreate_skeleton
from services.outputs import QUARANTINE_SUFFIX

STREAM_NAME = "streaming_product_revenue"


@dataclass(frozen=True)
class Layout:
    root: Path
    topic: str = "sales"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def input(self) -> Path:
        return self.data / "input"

    @property
    def output(self) -> Path:
        return self.data / "output"

    @property
    def batch_csv(self) -> Path:
        return self.output / "analysis_csv"

    @property
    def stream_output(self) -> Path:
        return self.output / STREAM_NAME

    @property
    def expected(self) -> Path:
        """The answer the live producer records (its --expect; STREAM_EXPECTED_DIR)."""
        return self.output / "streaming_expected"

    @property
    def checkpoint(self) -> Path:
        return self.root / "checkpoints" / STREAM_NAME

    @property
    def event_logs(self) -> Path:
        """The Spark jobs' event logs (what `python -m services.infra spark start` serves)."""
        return self.root / "spark-events"

    @property
    def run_dir(self) -> Path:
        return self.data / ".demo" / "run"

    @property
    def owner_file(self) -> Path:
        """The running demo's own pid (outside run_dir, which lists its children)."""
        return self.data / ".demo" / "demo.pid"

    @property
    def logs(self) -> Path:
        return self.data / ".demo" / "logs"

    @property
    def kafka_state(self) -> Path:
        return self.data / ".engines" / "kafka"

    @property
    def registry_state(self) -> Path:
        return self.data / ".engines" / "registry"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def prepare(self) -> None:
        recreate_skeleton(self.root)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("*.log"):
            old.unlink()

    def reset_stream(self) -> None:
        """Each demo streams afresh: its windows, quarantine, expected answer and
        checkpoints start empty."""
        for path in (self.stream_output, self.checkpoint, self.expected,
                     self.checkpoint.with_name(STREAM_NAME + QUARANTINE_SUFFIX),
                     self.stream_output.with_name(STREAM_NAME + QUARANTINE_SUFFIX)):
            shutil.rmtree(path, ignore_errors=True)
        for path in self.output.glob(STREAM_NAME + "_*.json"):
            path.unlink()

    def env(self, **settings: str) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1", **settings}

    def batch_env(self, schema: Path) -> dict[str, str]:
        return self.env(SCHEMA_CONFIG_PATH=str(schema), USE_HDFS="false",
                        SPARK_EVENT_LOG_DIR=str(self.event_logs),
                        INPUT_PATH=str(self.input),
                        OUT_PARQUET=str(self.output / "analysis_parquet"),
                        OUT_LOCAL_CSV=str(self.batch_csv), INPUT_WAIT_SECONDS="30")

    def stream_env(self, schema: Path, bootstrap: str, offsets: str, trigger: str,
                   ui_port: int, future_horizon: str | None = None) -> dict[str, str]:
        horizon = {"STREAM_FUTURE_HORIZON": future_horizon} if future_horizon else {}
        return self.env(SCHEMA_CONFIG_PATH=str(schema), KAFKA_BOOTSTRAP_SERVERS=bootstrap,
                        SPARK_EVENT_LOG_DIR=str(self.event_logs),
                        KAFKA_TOPIC=self.topic, OUTPUT_PATH=str(self.stream_output),
                        CHECKPOINT_DIR=str(self.checkpoint), STREAM_TRIGGER_INTERVAL=trigger,
                        STARTING_OFFSETS=offsets,
                        PYSPARK_SUBMIT_ARGS=f"--conf spark.ui.port={ui_port} pyspark-shell",
                        **horizon)

    def dashboard_env(self, schema: Path) -> dict[str, str]:
        return self.env(SCHEMA_CONFIG_PATH=str(schema), OUT_LOCAL_CSV=str(self.batch_csv),
                        OUTPUT_PATH=str(self.stream_output),
                        STREAM_EXPECTED_DIR=str(self.expected))

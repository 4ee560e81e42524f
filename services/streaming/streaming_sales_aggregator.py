"""Spark Structured Streaming: windowed revenue from Kafka (seed 5.2); settings from the
environment, see README."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo's `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.common.cli import run
from services.spark import streaming_job
from services.spark.job_shell import job_main


def job(argv: Sequence[str] | None) -> int:
    return job_main(argv, prog="streaming_sales_aggregator.py",
                    title="streaming job", description=__doc__, log_name="stream",
                    settings=streaming_job.StreamJobSettings.from_env,
                    run_job=streaming_job.run, stop_spark_on_signal=False)


def main(argv: Sequence[str] | None = None) -> int:
    return run(job, argv)


if __name__ == "__main__":
    sys.exit(main())

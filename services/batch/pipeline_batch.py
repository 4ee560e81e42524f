"""The Spark batch pipeline (seed section 4): settings from the environment, see README."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo's `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.common.cli import run
from services.spark import batch_job
from services.spark.job_shell import job_main
from services.spark.session import StopSignal


def job(argv: Sequence[str] | None) -> int:
    return job_main(argv, prog="pipeline_batch.py", title="batch job", description=__doc__,
                    log_name="batch", settings=batch_job.BatchJobSettings.from_env,
                    run_job=run_batch, stop_spark_on_signal=True)


def run_batch(settings: batch_job.BatchJobSettings, stop: StopSignal) -> int:
    """The batch job runs to its end; a signal stops its session (see StopSignal), which
    the job's session picks up from the installed handler."""
    return batch_job.run(settings)


def main(argv: Sequence[str] | None = None) -> int:
    return run(job, argv)


if __name__ == "__main__":
    sys.exit(main())

"""The command-line shell both Spark jobs share: settings from the environment, logging,
SIGINT/SIGTERM turned into a clean stop, and a failure turned into one logged cause and exit
code 1 (exit 2 for bad settings, 130 for a job a signal stopped before it finished). The
job's status file follows: starting, then what the job says, then how the run ended (failed
with its one-line reason, stopped, or the job's own end state)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from services.common import settings as s
from services.common.cli import LOG_LEVELS, ArgumentParser, UsageError, configure_logging
from services.common.signals import INTERRUPTED
from services.outputs import FAILED, STARTING, STOPPED
from services.schema import SchemaError
from services.spark.errors import spark_error_message
from services.spark.job_status import JobStatus
from services.spark.session import SparkStop


def job_main(argv: Sequence[str] | None, *, prog: str, title: str, description: str,
             log_name: str,
             settings: Callable[[Mapping[str, str]], Any],
             run_job: Callable[[Any, SparkStop, JobStatus], int],
             status_file: Callable[[Any], Path | None], returns_in: str,
             stop_spark_on_signal: bool, carried: Sequence[str] = ()) -> int:
    """Run a job with its settings, a SparkStop and its JobStatus. A job that polls the stop
    request itself (streaming) passes stop_spark_on_signal=False; one that spends its time
    inside Spark actions (batch) passes True, so a signal stops its session at once.
    `returns_in` is the state of a run that returns without a signal (batch: done);
    `carried` names status keys a run takes over from the last run's file (JobStatus)."""
    parser = ArgumentParser(prog=prog, description=description)
    parser.add_argument("--log-level", default=s.value(s.LOG_LEVEL, os.environ),
                        choices=LOG_LEVELS)
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    chosen = settings(os.environ)
    log = logging.getLogger(log_name)
    status = JobStatus(status_file(chosen), carried=carried)
    status.set(STARTING)
    with SparkStop(stop_spark=stop_spark_on_signal) as stop:
        try:
            code = run_job(chosen, stop, status)
        except (UsageError, SchemaError) as exc:
            status.set(FAILED, str(exc))
            raise
        except Exception as exc:
            if stop.requested.is_set():  # the error is what stopping Spark mid-job looks like
                log.info("%s stopped by signal (%s) before it finished", title, stop.name)
                log.debug("the stop ended the job with: %s", spark_error_message(exc))
                status.set(STOPPED)
                return INTERRUPTED
            reason = spark_error_message(exc)
            status.set(FAILED, reason)
            log.error("%s failed: %s", title, reason, exc_info=args.log_level == "DEBUG")
            return 1
        status.set(STOPPED if stop.requested.is_set() else returns_in)
        return code

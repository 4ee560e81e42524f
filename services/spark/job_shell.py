"""The command-line shell both Spark jobs share: settings from the environment, logging,
SIGINT/SIGTERM turned into a clean stop, and a failure turned into one logged cause and exit
code 1 (exit 2 for bad settings, 130 for a job a signal stopped before it finished)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from services.common import settings as s
from services.common.cli import LOG_LEVELS, ArgumentParser, UsageError, configure_logging
from services.common.signals import INTERRUPTED
from services.schema import SchemaError
from services.spark.errors import spark_error_message
from services.spark.session import SparkStop


def job_main(argv: Sequence[str] | None, *, prog: str, title: str, description: str,
             log_name: str,
             settings: Callable[[Mapping[str, str]], Any],
             run_job: Callable[[Any, SparkStop], int],
             stop_spark_on_signal: bool) -> int:
    """Run a job with its settings and a SparkStop installed. A job that polls the stop
    request itself (streaming) passes stop_spark_on_signal=False; one that spends its time
    inside Spark actions (batch) passes True, so a signal stops its session at once."""
    parser = ArgumentParser(prog=prog, description=description)
    parser.add_argument("--log-level", default=s.value(s.LOG_LEVEL, os.environ),
                        choices=LOG_LEVELS)
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    chosen = settings(os.environ)
    log = logging.getLogger(log_name)
    with SparkStop(stop_spark=stop_spark_on_signal) as stop:
        try:
            return run_job(chosen, stop)
        except (UsageError, SchemaError):
            raise
        except Exception as exc:
            if stop.requested.is_set():  # the error is what stopping Spark mid-job looks like
                log.info("%s stopped by signal (%s) before it finished", title, stop.name)
                log.debug("the stop ended the job with: %s", spark_error_message(exc))
                return INTERRUPTED
            log.error("%s failed: %s", title, spark_error_message(exc),
                      exc_info=args.log_level == "DEBUG")
            return 1

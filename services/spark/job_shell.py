"""The command-line shell both Spark jobs share: settings from the environment, logging,
and a failure turned into one logged cause and exit code 1 (exit 2 for bad settings)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from services.common.cli import LOG_LEVELS, ArgumentParser, UsageError, configure_logging
from services.schema import SchemaError
from services.spark.errors import spark_error_message


def job_main(argv: Sequence[str] | None, *, prog: str, title: str, description: str,
             log_name: str,
             settings: Callable[[Mapping[str, str]], Any],
             run_job: Callable[[Any], int]) -> int:
    parser = ArgumentParser(prog=prog, description=description)
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO").upper(),
                        choices=LOG_LEVELS)
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    chosen = settings(os.environ)
    try:
        return run_job(chosen)
    except (UsageError, SchemaError):
        raise
    except Exception as exc:
        logging.getLogger(log_name).error("%s failed: %s", title, spark_error_message(exc),
                                          exc_info=args.log_level == "DEBUG")
        return 1

"""Spark Structured Streaming: windowed revenue from Kafka (seed 5.2); settings from the
environment, see README."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo's `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.common.cli import ArgumentParser, UsageError, configure_logging, run
from services.schema import SchemaError
from services.spark.errors import spark_error_message
from services.spark.streaming_job import StreamSettings
from services.spark.streaming_job import run as run_job

log = logging.getLogger("stream")


def job(argv: Sequence[str] | None) -> int:
    parser = ArgumentParser(prog="streaming_sales_aggregator.py", description=__doc__)
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO").upper(),
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    settings = StreamSettings.from_env(os.environ)
    try:
        return run_job(settings)
    except (UsageError, SchemaError):
        raise
    except Exception as exc:
        log.error("streaming job failed: %s", spark_error_message(exc),
                  exc_info=args.log_level == "DEBUG")
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    return run(job, argv)


if __name__ == "__main__":
    sys.exit(main())

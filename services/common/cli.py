"""The contract of every command-line shell: clear messages, exit codes, no tracebacks.

Exit codes: 0 done, 1 the run failed, 2 bad arguments or a bad schema, 130 interrupted.
A traceback is shown only with --log-level DEBUG.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence

from services.schema import SchemaError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class UsageError(ValueError):
    """A bad argument or setting; the message says which and what is accepted."""


COMMAND_PREFIX = "sdp-"  # the console scripts' names (pyproject's [project.scripts])


def invoked_as() -> str | None:
    """The console script's name (`sdp-generate`) when this process runs as one."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name if name.startswith(COMMAND_PREFIX) else None


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of exiting, so `run` decides the exit code.
    Run as a console script, --help and usage errors name the command typed (`sdp-...`),
    not the script path the parser was written for."""

    def __init__(self, *args, **kwargs) -> None:
        command = invoked_as()
        if command and not str(kwargs.get("prog") or "").startswith(command):
            kwargs["prog"] = command
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now, not the one seen at set-up (test capture
    swaps it, and a handler holding a closed stream fails at interpreter exit)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def quiet_py4j(record: logging.LogRecord) -> bool:
    """py4j logs a dropped gateway connection on the root logger with its traceback at INFO
    (a JVM that is stopping or gone); the caller reports the failure itself in one line.
    DEBUG keeps it."""
    return (record.levelno >= logging.WARNING or f"{os.sep}py4j{os.sep}" not in record.pathname
            or logging.getLogger().isEnabledFor(logging.DEBUG))


def configure_logging(level: str) -> None:
    handler = StderrHandler()
    handler.addFilter(quiet_py4j)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        handlers=[handler], force=True)
    logging.getLogger("py4j").setLevel(logging.WARNING)  # one INFO line per gateway call


@contextlib.contextmanager
def quiet_kafka_client() -> Iterator[None]:
    """kafka-python logs each connection at INFO and every refused one as an error, many a
    second while a broker starts or restarts; the callers report what matters themselves.
    DEBUG keeps it all."""
    client = logging.getLogger("kafka")
    level = client.level
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        client.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        client.setLevel(level)


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Call a shell's main and turn failures into one-line messages and exit codes."""
    debug = (argv is not None and "DEBUG" in argv) or "DEBUG" in sys.argv[1:]
    try:
        return main(argv)
    except SchemaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            logging.getLogger(__name__).exception("failed")
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1

"""One way to build a SparkSession for every job: UTC, dynamic partition overwrite, a master
from the settings (local mode unless told otherwise), and a driver JVM that the terminal's
signals do not reach, so that a stop is always Python's to make.

Why: Ctrl-C in a terminal and `timeout` signal the whole process group. A JVM that gets the
signal too shuts down under the Python driver, which is still inside a py4j call
(awaitTermination, an action): py4j then logs "Answer from Java side is empty" tracebacks and
the job stops in no particular order. Here the JVM runs in a session of its own, and SIGINT
or SIGTERM only records a stop request (SparkStop) that the job answers in order.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping

from pyspark import SparkConf, SparkContext
from pyspark.java_gateway import launch_gateway
from pyspark.sql import SparkSession

from services.common.paths import local_path
from services.common.signals import StopSignals
from services.spark.storage import as_local_uri, is_local

BASE_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}
NO_EVENT_LOG = "none"
# `timeout` signals its child, then the whole group: one stop can arrive twice at once. A
# signal this long after the first is a person insisting, and ends the process at once.
REPEAT_GAP_SECONDS = 1.0
log = logging.getLogger("spark.session")


class StopRequested(Exception):
    """A stop signal came while Spark was starting; the session was stopped again."""


class SparkStop(StopSignals):
    """SIGINT/SIGTERM while a Spark job runs (services.common.signals), for a Spark driver.

    A KeyboardInterrupt raised inside a py4j call breaks the gateway connection (and py4j
    logs tracebacks), so the handler only records the signal. The job checks `requested`
    (the streaming job between waits); with `stop_spark`, a helper thread also stops the
    session at once, so a batch job blocked in a Spark action returns with an error the
    shell reports as the stop (not from the handler itself: it runs inside the interrupted
    py4j call). A signal again REPEAT_GAP_SECONDS or more after the first exits at once; a
    checkpoint survives that as it survives kill -9.

    Use it as a context manager around the job; build_session finds the installed one and
    hands it the session (signal handlers are process-wide, and so is this).
    """

    def __init__(self, stop_spark: bool = False):
        super().__init__(on_first=self._first, on_repeat=_exit_at_once,
                         repeat_gap=REPEAT_GAP_SECONDS)
        self.stop_spark = stop_spark
        self._spark: SparkSession | None = None
        self._lock = threading.Lock()

    def _first(self, name: str) -> None:
        log.info("%s received: stopping cleanly (another one exits at once)", name)
        if self.stop_spark:
            threading.Thread(target=self._stop_session, name="stop-on-signal",
                             daemon=True).start()

    def attach(self, spark: SparkSession) -> None:
        """The job's session; if a stop came while it started, stop it and raise."""
        with self._lock:
            self._spark = spark
        if self.requested.is_set():
            spark.stop()
            raise StopRequested(f"{self.name} received while Spark was starting")

    def _stop_session(self) -> None:
        with self._lock:
            spark = self._spark
        if spark is None:
            return  # not started yet: attach() stops it as soon as it is
        try:
            spark.stop()
        except Exception as exc:  # the job's own error says what failed, if anything did
            log.debug("while stopping the session on a signal: %s", exc)


def _exit_at_once(name: str) -> None:
    print(f"{name} again: exiting at once, without a clean stop", file=sys.stderr, flush=True)
    os._exit(128 + signal.Signals[name].value)


def event_log_conf(where: str) -> dict[str, str]:
    """Event logs where a history server reads them (SPARK_EVENT_LOG_DIR, by default the
    repo's spark-events/, which `python -m services.infra spark start` serves), in rolling
    files so a streaming job's log stays bounded; `none` writes none."""
    if where.lower() == NO_EVENT_LOG:
        return {}
    if is_local(where):
        folder = local_path(as_local_uri(where))
        folder.mkdir(parents=True, exist_ok=True)  # Spark refuses a missing folder
        where = folder.resolve().as_uri()
    return {"spark.eventLog.enabled": "true", "spark.eventLog.dir": where,
            "spark.eventLog.rolling.enabled": "true",
            "spark.eventLog.rolling.maxFileSize": "64m"}


def spark_conf(app_name: str, master: str | None, conf: Mapping[str, str] | None,
               event_log_dir: str) -> SparkConf:
    """The settings a session is built with. Without a master, local mode on every core,
    unless spark-submit started this driver (it passes its own --master)."""
    values = {**BASE_CONF, **event_log_conf(event_log_dir), **(conf or {}),
              "spark.app.name": app_name}
    if master:
        values["spark.master"] = master
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:
        values["spark.master"] = "local[*]"
    return SparkConf(loadDefaults=False).setAll(list(values.items()))


def build_session(app_name: str, master: str | None, conf: Mapping[str, str] | None = None,
                  *, event_log_dir: str) -> SparkSession:
    """A session for `app_name`, its driver JVM out of reach of the terminal's signals, the
    caller's SIGINT handler kept (a new SparkContext installs one that raises
    KeyboardInterrupt), and handed to the installed SparkStop, if any."""
    chosen = spark_conf(app_name, master, conf, event_log_dir)
    in_main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if in_main else None
    try:
        # pyspark keeps one gateway per process; launch it ourselves only if none runs yet.
        if SparkContext._gateway is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
            gateway = launch_gateway(chosen, popen_kwargs={"start_new_session": True})
            SparkContext(conf=chosen, gateway=gateway)
        else:
            SparkContext.getOrCreate(chosen)
    finally:
        if handler is not None:  # at once: the session's start below takes seconds
            signal.signal(signal.SIGINT, handler)
    spark = SparkSession.builder.config(conf=chosen).getOrCreate()
    stop = SparkStop.installed()
    if stop is not None:
        stop.attach(spark)
    return spark

"""Short, readable messages from Spark and Py4J exceptions (no JVM stack traces)."""

from __future__ import annotations

import logging

# Spark logs each failed task with its Java stack trace, in the executor and again in the
# scheduler; a job reports the cause itself, in one line (spark_error_message).
TASK_FAILURE_LOGGERS = ("org.apache.spark.executor.Executor",
                        "org.apache.spark.scheduler.TaskSetManager")


def spark_error_message(exc: BaseException, limit: int = 400) -> str:
    """The root cause's message: the innermost Java exception, or the first line of a
    PySpark error."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        cause = java
        while cause.getCause() is not None and cause.getCause() != cause:
            cause = cause.getCause()
        message = str(cause.toString())
    else:
        message = next((line for line in str(exc).splitlines() if line.strip()), repr(exc))
    return message if len(message) <= limit else message[:limit] + "..."


def quiet_task_failures(spark) -> None:
    """Turn off the loggers of failed tasks in this driver's JVM (in local mode the
    executors' too), unless Python logs at DEBUG: then every trace stays."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        return
    jvm = spark.sparkContext._jvm
    off = jvm.org.apache.logging.log4j.Level.OFF
    for name in TASK_FAILURE_LOGGERS:
        jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(name, off)

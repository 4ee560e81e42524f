"""Short, readable messages from Spark and Py4J exceptions (no JVM stack traces)."""

from __future__ import annotations


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

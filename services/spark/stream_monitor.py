"""What the streaming job tells the outside: per-batch progress and the ledger (log + status
file); after each batch it asks the live view (services.spark.stream_live) to show it.

The status file is a small JSON document rewritten atomically; the dashboard polls it.
Building its content is pure (dicts in, dicts out) so it is tested without Spark.
The ledger (services.spark.stream_ledger) is read back from the status file when the job
starts, so it sums every batch of the query across restarts.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from typing import Any

from pyspark.sql.streaming import StreamingQueryListener

from services.outputs import RUNNING
from services.spark.job_status import JobStatus
from services.spark.stream_ledger import BatchCounts, Ledger
from services.spark.stream_live import LiveView
from services.streamcheck import StreamShape

log = logging.getLogger("stream")


def kafka_lag(source: dict[str, Any]) -> int | None:
    """Messages in the topic not yet read: latest offsets minus the batch's end offsets."""
    def offsets(key: str) -> dict | None:
        value = source.get(key)
        return json.loads(value) if isinstance(value, str) else value

    latest, end = offsets("latestOffset"), offsets("endOffset")
    if not latest or not end:
        return None
    return sum(max(0, int(off) - int(end.get(topic, {}).get(part, 0)))
               for topic, parts in latest.items() for part, off in parts.items())


def status_from_progress(progress: dict[str, Any], shape: StreamShape, mode: str,
                         trigger_seconds: float, ledger: Ledger) -> dict[str, Any]:
    """The status file's progress (services.outputs.PROGRESS_KEYS) from one progress report
    and the ledger that counts it."""
    batch = BatchCounts.of(progress)
    sources = progress.get("sources") or [{}]
    return {
        "query_id": progress.get("id"),
        "run_id": progress.get("runId"),
        "batch_id": progress.get("batchId"),
        "batch_time": progress.get("timestamp"),
        "input_rows": int(progress.get("numInputRows") or 0),
        "input_rows_per_second": float(progress.get("inputRowsPerSecond") or 0.0),
        "processed_rows_per_second": float(progress.get("processedRowsPerSecond") or 0.0),
        "rows_dropped_late": batch.late,
        "rows_dropped_invalid": batch.quarantined,
        "batch_duration_ms": int((progress.get("durationMs") or {}).get("triggerExecution")
                                 or progress.get("batchDuration") or 0),
        "watermark": (progress.get("eventTime") or {}).get("watermark"),
        "lag_messages": kafka_lag(sources[0]),
        "trigger_seconds": trigger_seconds,
        "group_field": shape.group,
        "value_field": shape.value,
        "mode": mode,
        "ledger": ledger.to_json(),
    }


LEDGER = "ledger"  # the status key a restarted job carries over (JobStatus's `carried`)


def carried_ledger(status: JobStatus) -> Ledger:
    """The ledger a previous run left in the status file; empty when there is none."""
    return Ledger.from_json(status.document.get(LEDGER))


class ProgressMonitor(StreamingQueryListener):
    """Logs each micro-batch of the main query, keeps the ledger, writes its progress to the
    job's status (running from the first one on) and remembers the watermark; the live view
    (`live`, when there is one) then shows the windows the batch left open."""

    def __init__(self, query_name: str, status: JobStatus, shape: StreamShape,
                 mode: str, trigger_seconds: float):
        self.query_name = query_name
        self.status = status
        self.shape, self.mode, self.trigger_seconds = shape, mode, trigger_seconds
        self.lock = threading.Lock()
        self.watermark: str | None = None
        self.ledger = carried_ledger(status)
        self.last: dict[str, Any] | None = None
        self.live: LiveView | None = None

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryIdle(self, event) -> None:
        pass

    def onQueryTerminated(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        self.record(json.loads(event.progress.json))

    def catch_up(self, reports: Iterable[Any]) -> None:
        """Count the reports (StreamingQueryProgress) the listener may not have had yet:
        at a stop, the last batch's report can still be on its way."""
        for report in reports:
            self.record(json.loads(report.json))

    def record(self, progress: dict[str, Any]) -> None:
        """One progress report of the main query: into the ledger (once), the log and the
        status file."""
        if progress.get("name") != self.query_name:
            return
        with self.lock:
            counts = self.ledger.add(progress)
            if counts is None:
                return  # counted already
            status = status_from_progress(progress, self.shape, self.mode,
                                          self.trigger_seconds, self.ledger)
            self.watermark = status["watermark"]
            self.last = status
            self.status.set(RUNNING, **status)
        if self.live is not None:
            self.live.show(int(status["batch_id"]), status["watermark"])
        ledger = status["ledger"]
        if counts.window_rows_dropped:
            log.warning("batch %s: the windows dropped %d rows by the watermark after the "
                        "dedup let their events through: the ledger is not balanced",
                        status["batch_id"], counts.window_rows_dropped)
        log.info("batch %s: %d rows in (%.0f/s in, %.0f/s processed), %d late dropped, "
                 "%d quarantined, %d ms, watermark %s, lag %s; since the start: %d read, "
                 "%d counted, %d duplicates, %d late, %d quarantined%s", status["batch_id"],
                 status["input_rows"], status["input_rows_per_second"],
                 status["processed_rows_per_second"], status["rows_dropped_late"],
                 status["rows_dropped_invalid"], status["batch_duration_ms"],
                 status["watermark"], status["lag_messages"], ledger["read"],
                 ledger["counted"], ledger["duplicates"], ledger["late"],
                 ledger["quarantined"], "" if ledger["balanced"] else " (NOT BALANCED)")

"""What the streaming job tells the outside: per-batch progress and the ledger (log + status
file), and the live view of still-open windows.

The status and live files are small JSON documents rewritten atomically; the dashboard polls
them. Building their content is pure (dicts in, dicts out) so it is tested without Spark.
The ledger (services.spark.stream_ledger) is read back from the status file when the job
starts, so it sums every batch of the query across restarts.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQueryListener

from services.common.files import write_json_atomic
from services.outputs import EVENT_COUNT, REVENUE, RUNNING, WINDOW_END, WINDOW_START
from services.spark.job_status import JobStatus, utc_now
from services.spark.stream_ledger import BatchCounts, Ledger
from services.streamcheck import StreamShape

log = logging.getLogger("stream")
ISO_Z = "yyyy-MM-dd'T'HH:mm:ss'Z'"


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
    (`live`, when there is one) then drops the windows the sink has now."""

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
        if self.live is not None:  # whether or not the live query runs again soon
            self.live.prune(status["watermark"])
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


def merge_open_windows(previous: list[dict], updates: list[dict], group: str,
                       watermark: str | None) -> list[dict]:
    """Open windows after a micro-batch: updated windows replace earlier values; a window
    is dropped once it ends at or before `watermark`, the watermark of the main query's last
    reported batch: that batch appended every such window to the Parquet sink and committed
    it before its report, so a window leaves the live view only when the sink has it (the
    dashboard shows the sink's copy where both have one).

    Why not sooner: the live query runs apart from the main one and often ahead of it; a
    window it has closed may not be in the sink yet, and dropping it then made it vanish
    from the dashboard for a micro-batch."""
    def key(row: dict) -> tuple:
        return row[group], row[WINDOW_START]

    merged = {key(r): r for r in previous}
    merged.update({key(r): r for r in updates})
    cutoff = watermark_text(watermark)
    rows = [r for r in merged.values() if cutoff is None or r[WINDOW_END] > cutoff]
    return sorted(rows, key=lambda r: (r[WINDOW_START], r[group]))


def watermark_text(watermark: str | None) -> str | None:
    """The watermark in the live rows' format (second precision, Z)."""
    if not watermark:
        return None
    moment = datetime.fromisoformat(watermark.replace("Z", "+00:00"))
    if moment.timestamp() <= 0:
        return None  # no event seen yet
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class LiveView:
    """foreachBatch target of the update-mode query: rewrites the snapshot of open windows,
    and again when the main query's watermark passes some (`prune`, from the monitor)."""

    def __init__(self, live_file: Path, shape: StreamShape, monitor: ProgressMonitor):
        self.live_file, self.shape, self.monitor = live_file, shape, monitor
        self.lock = threading.Lock()  # the live query's thread and the monitor's
        self.rows = self._load()
        self.batch_id: int | None = None  # the live query's last batch
        monitor.live = self

    def _load(self) -> list[dict]:
        try:
            return list(json.loads(self.live_file.read_text())["windows"])
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def __call__(self, updates: DataFrame, batch_id: int) -> None:
        rows = [r.asDict() for r in updates.select(
            F.col(self.shape.group).cast("string").alias(self.shape.group),
            F.date_format(WINDOW_START, ISO_Z).alias(WINDOW_START),
            F.date_format(WINDOW_END, ISO_Z).alias(WINDOW_END),
            F.col(REVENUE).cast("double").alias(REVENUE),
            F.col(EVENT_COUNT).cast("long").alias(EVENT_COUNT)).collect()]
        with self.lock:
            with self.monitor.lock:
                watermark = self.monitor.watermark
            self.batch_id = batch_id
            self._write(merge_open_windows(self.rows, rows, self.shape.group, watermark),
                        watermark)

    def prune(self, watermark: str | None) -> None:
        """Drop the windows that end at or before the main query's new watermark."""
        with self.lock:
            rows = merge_open_windows(self.rows, [], self.shape.group, watermark)
            if len(rows) < len(self.rows):
                try:
                    self._write(rows, watermark)
                except OSError as exc:  # the live query's next batch writes it again
                    log.warning("cannot write the live file %s: %s", self.live_file, exc)

    def _write(self, rows: list[dict], watermark: str | None) -> None:
        self.rows = rows
        write_json_atomic(self.live_file, {
            "generated_at": utc_now(), "batch_id": self.batch_id, "provisional": True,
            "group_field": self.shape.group, "value_field": self.shape.value,
            "watermark": watermark, "windows": rows,
        })

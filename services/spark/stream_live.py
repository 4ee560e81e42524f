"""The live view: the windows still open, read from the main query's own aggregation state
after each of its micro-batches, rewritten to the live file (a small JSON document the
dashboard polls).

Why from the state, not from a query of its own: the open windows are exactly what the main
query's window operator keeps in its state store between micro-batches (in append mode a
window leaves the state in the batch that appends it to the sink). Spark's State Data Source
(`statestore`, with `state-metadata` to find the operator) reads that state from the
checkpoint in batch, for one committed batch id, with either state store provider. So the
topic is read and parsed once, not twice, and the live view and the sink are one computation:
after batch N the sink holds the windows that end at or before N's watermark and the live
file every other window, none in both, none missing.

The read runs on a thread of its own, one at a time, always for the newest batch reported
(a batch reported while one is read is shown next; any in between are skipped): the main
query never waits for it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from services.common.files import write_json_atomic
from services.outputs import EVENT_COUNT, REVENUE, WINDOW_END, WINDOW_START
from services.spark.job_status import utc_now
from services.spark.stream_transforms import AGGREGATION_OPERATOR, windows_from_state
from services.streamcheck import StreamShape

log = logging.getLogger("stream")
ISO_Z = "yyyy-MM-dd'T'HH:mm:ss'Z'"
CLOSE_WAIT_S = 30.0  # at a stop, how long the last batch's snapshot may take


def aggregation_operator(spark: SparkSession, checkpoint: str) -> int:
    """The id of the windows' operator in the checkpoint (the dedup has another)."""
    found = (spark.read.format("state-metadata").load(checkpoint)
             .where(F.col("operatorName") == AGGREGATION_OPERATOR)
             .select("operatorId").collect())
    if len(found) != 1:
        raise RuntimeError(f"the checkpoint {checkpoint} has {len(found)} window operators "
                           f"({AGGREGATION_OPERATOR}), not one")
    return int(found[0][0])


def open_windows(spark: SparkSession, checkpoint: str, operator: int, batch_id: int,
                 shape: StreamShape) -> DataFrame:
    """The windows in the operator's state once `batch_id` committed, as the live file's
    rows (the sink's column names; times as ISO text)."""
    state = (spark.read.format("statestore").option("operatorId", operator)
             .option("batchId", batch_id).load(checkpoint))
    rows = windows_from_state(state, shape)
    return rows.select(
        F.col(shape.group).cast("string").alias(shape.group),
        F.date_format(WINDOW_START, ISO_Z).alias(WINDOW_START),
        F.date_format(WINDOW_END, ISO_Z).alias(WINDOW_END),
        F.col(REVENUE).cast("double").alias(REVENUE),
        F.col(EVENT_COUNT).cast("long").alias(EVENT_COUNT))


class LiveView:
    """Rewrites the live file after the main query's batches (`show`, from the monitor)."""

    def __init__(self, spark: SparkSession, checkpoint: str, live_file: Path,
                 shape: StreamShape):
        self.spark, self.checkpoint = spark, checkpoint
        self.live_file, self.shape = live_file, shape
        self.operator: int | None = None
        self.shown: int | None = None  # the batch id the live file shows
        self._pending: tuple[int, str | None] | None = None
        self._wake = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="live-view", daemon=True)
        self._thread.start()

    def show(self, batch_id: int, watermark: str | None) -> None:
        """Ask for the state after `batch_id` (committed and reported) to be shown."""
        with self._wake:
            self._pending = (batch_id, watermark)
            self._wake.notify()

    def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Show the last batch asked for, then end the thread (before the session stops)."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closing:
                    self._wake.wait()
                pending, self._pending = self._pending, None
            if pending is None:
                return
            try:
                self.refresh(*pending)
            except Exception as exc:  # the next batch tries again; the job goes on
                log.warning("cannot show batch %s in the live file %s: %s", pending[0],
                            self.live_file, exc)

    def refresh(self, batch_id: int, watermark: str | None) -> None:
        """Read the state after `batch_id` and rewrite the live file."""
        if self.operator is None:
            self.operator = aggregation_operator(self.spark, self.checkpoint)
        rows = [r.asDict() for r in open_windows(self.spark, self.checkpoint, self.operator,
                                                 batch_id, self.shape).collect()]
        rows.sort(key=lambda r: (r[WINDOW_START], r[self.shape.group]))
        write_json_atomic(self.live_file, {
            "generated_at": utc_now(), "batch_id": batch_id, "provisional": True,
            "group_field": self.shape.group, "value_field": self.shape.value,
            "watermark": watermark, "windows": rows,
        })
        self.shown = batch_id

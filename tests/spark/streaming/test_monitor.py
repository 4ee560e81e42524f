"""Status and live-view content built from progress reports, without Spark."""

from __future__ import annotations

from services.outputs import LEDGER_KEYS, PROGRESS_KEYS
from services.spark.job_status import JobStatus
from services.spark.stream_ledger import Ledger
from services.spark.stream_monitor import (
    ProgressMonitor,
    kafka_lag,
    status_from_progress,
)
from services.streamcheck import StreamShape

SHAPE = StreamShape("city", "event_time", "amount")


def test_status_from_a_progress_report():
    progress = {
        "id": "q", "runId": "r", "batchId": 0, "timestamp": "2026-01-01T00:00:00.000Z",
        "numInputRows": 120, "inputRowsPerSecond": 40.0, "processedRowsPerSecond": 80.5,
        "durationMs": {"triggerExecution": 1500},
        "eventTime": {"watermark": "2026-01-01T00:00:00.000Z"},
        "stateOperators": [{"operatorName": "stateStoreSave", "numRowsDroppedByWatermark": 0},
                           {"operatorName": "dedupeWithinWatermark",
                            "numRowsDroppedByWatermark": 3}],
        "sources": [{"endOffset": {"t": {"0": 10, "1": 5}},
                     "latestOffset": {"t": {"0": 12, "1": 5}}}],
        "observedMetrics": {"ledger_intake": {"read": 120, "not_json": 2, "bad_time": 1},
                            "ledger_valid": {"rows": 117}, "ledger_counted": {"rows": 110}},
    }
    ledger = Ledger()
    ledger.add(progress)
    status = status_from_progress(progress, SHAPE, "schema", 30.0, ledger)
    assert status["batch_id"] == 0 and status["input_rows"] == 120
    assert status["rows_dropped_late"] == 3 and status["rows_dropped_invalid"] == 3
    assert status["ledger"]["duplicates"] == 4 and status["ledger"]["balanced"] is True
    assert tuple(status) == PROGRESS_KEYS and tuple(status["ledger"]) == LEDGER_KEYS
    assert status["batch_duration_ms"] == 1500 and status["lag_messages"] == 2
    assert status["group_field"] == "city" and status["trigger_seconds"] == 30.0


def test_lag_is_unknown_without_offsets():
    assert kafka_lag({}) is None
    assert kafka_lag({"endOffset": '{"t": {"0": 3}}', "latestOffset": '{"t": {"0": 9}}'}) == 6


class FakeLive:
    def __init__(self) -> None:
        self.asked: list[tuple[int, str]] = []

    def show(self, batch_id: int, watermark: str) -> None:
        self.asked.append((batch_id, watermark))


def test_each_counted_batch_of_the_main_query_asks_the_live_view_once():
    """The live view shows the state after each main batch; another query's report and a
    report counted already (a catch-up at stop) ask nothing."""
    monitor = ProgressMonitor("main", JobStatus(None), SHAPE, "schema", 1.0)
    monitor.live = live = FakeLive()

    def report(name: str, batch: int, mark: str) -> None:
        monitor.record({"name": name, "id": "q", "batchId": batch,
                        "eventTime": {"watermark": mark}})

    report("main", 0, "2026-01-01T09:59:59.000Z")
    report("quarantine", 1, "2026-01-01T10:30:00.000Z")
    report("main", 1, "2026-01-01T10:00:00.000Z")
    report("main", 1, "2026-01-01T10:00:00.000Z")
    assert live.asked == [(0, "2026-01-01T09:59:59.000Z"), (1, "2026-01-01T10:00:00.000Z")]

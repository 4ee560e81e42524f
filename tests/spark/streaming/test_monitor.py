"""Status and live-view content built from progress reports, without Spark."""

from __future__ import annotations

import json

import pytest

from services.outputs import LEDGER_KEYS, PROGRESS_KEYS
from services.spark.job_status import JobStatus
from services.spark.stream_ledger import Ledger
from services.spark.stream_monitor import (
    LiveView,
    ProgressMonitor,
    kafka_lag,
    merge_open_windows,
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


def window(city, start, end, revenue):
    return {"city": city, "window_start": start, "window_end": end, "revenue": revenue,
            "event_count": 1}


def test_open_windows_are_updated_and_closed_ones_dropped():
    previous = [window("A", "2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", 1.0),
                window("A", "2026-01-01T09:45:00Z", "2026-01-01T10:45:00Z", 2.0)]
    updates = [window("A", "2026-01-01T09:45:00Z", "2026-01-01T10:45:00Z", 5.0),
               window("B", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", 3.0)]
    rows = merge_open_windows(previous, updates, "city", "2026-01-01T10:00:00.000Z")
    assert [(r["city"], r["window_start"], r["revenue"]) for r in rows] == [
        ("A", "2026-01-01T09:45:00Z", 5.0), ("B", "2026-01-01T10:00:00Z", 3.0)]


@pytest.mark.parametrize("watermark", [None, "1970-01-01T00:00:00.000Z"])
def test_no_window_leaves_before_the_main_query_reports_a_watermark(watermark):
    """The live query may be hours ahead of the main one: a window it closed long ago is
    not in the sink until the main query reports a watermark past its end."""
    rows = [window("A", "2026-01-01T08:00:00Z", "2026-01-01T09:00:00Z", 1.0),
            window("A", "2026-01-01T13:00:00Z", "2026-01-01T14:00:00Z", 1.0)]
    kept = merge_open_windows([], rows, "city", watermark)
    assert [r["window_start"] for r in kept] == ["2026-01-01T08:00:00Z", "2026-01-01T13:00:00Z"]


def test_a_window_leaves_when_the_reported_watermark_reaches_its_end():
    rows = [window("A", "2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", 1.0),
            window("A", "2026-01-01T09:00:01Z", "2026-01-01T10:00:01Z", 1.0),
            window("A", "2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z", 1.0)]
    for mark in ("2026-01-01T10:00:00.000Z", "2026-01-01T10:00:00.999Z"):
        kept = merge_open_windows(rows, [], "city", mark)
        assert [r["window_end"] for r in kept] == ["2026-01-01T10:00:01Z",
                                                   "2026-01-01T13:00:00Z"]
    before = merge_open_windows(rows, [], "city", "2026-01-01T09:59:59.999Z")
    assert len(before) == 3


def test_the_main_querys_report_prunes_the_live_file_at_once(tmp_path):
    """The live query may not run again soon (an idle stream): the windows the main
    query's batch has put in the sink leave the live file when its report comes."""
    monitor = ProgressMonitor("main", JobStatus(None), SHAPE, "schema", 1.0)
    live_file = tmp_path / "live.json"
    rows = [window("A", "2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", 1.0),
            window("A", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", 1.0)]
    live_file.write_text(json.dumps({"windows": rows}))
    LiveView(live_file, SHAPE, monitor)

    def report(name: str, batch: int, mark: str) -> list[str]:
        monitor.record({"name": name, "id": "q", "batchId": batch,
                        "eventTime": {"watermark": mark}})
        return [w["window_end"] for w in json.loads(live_file.read_text())["windows"]]

    assert report("main", 0, "2026-01-01T09:59:59.000Z") == ["2026-01-01T10:00:00Z",
                                                             "2026-01-01T11:00:00Z"]
    assert report("live", 0, "2026-01-01T10:30:00.000Z") == ["2026-01-01T10:00:00Z",
                                                             "2026-01-01T11:00:00Z"]
    assert report("main", 1, "2026-01-01T10:00:00.000Z") == ["2026-01-01T11:00:00Z"]
    assert json.loads(live_file.read_text())["watermark"] == "2026-01-01T10:00:00.000Z"

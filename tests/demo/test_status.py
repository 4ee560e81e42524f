"""The demo's status line: the last micro-batch, and the ledger since the start."""

from __future__ import annotations

import json

from services.demo.layout import Layout
from services.demo.status import status_line
from services.outputs import StreamOutputs

BATCH = {"batch_id": 7, "input_rows": 1200, "input_rows_per_second": 40.4,
         "rows_dropped_late": 3, "lag_messages": 0}
LEDGER = {"read": 5000, "counted": 4700, "duplicates": 180, "late": 20, "quarantined": 100,
          "balanced": True}


def write(tmp_path, status):
    layout = Layout(tmp_path)
    files = StreamOutputs(layout.stream_output)
    files.status_file.parent.mkdir(parents=True, exist_ok=True)
    files.status_file.write_text(json.dumps(status))
    return layout


def test_waits_for_the_first_batch(tmp_path):
    assert status_line(Layout(tmp_path)).endswith("waiting for the first micro-batch")


def test_the_batch_and_the_ledger(tmp_path):
    line = status_line(write(tmp_path, {**BATCH, "ledger": LEDGER}))
    assert "batch 7, 1,200 events (40/s), 0 open windows, 3 late, lag 0" in line
    assert line.endswith("since the start 5,000 read, 180 duplicates, 20 late, "
                         "100 quarantined")


def test_an_unbalanced_ledger_says_so(tmp_path):
    line = status_line(write(tmp_path, {**BATCH, "ledger": {**LEDGER, "balanced": False}}))
    assert line.endswith("100 quarantined (the ledger does not balance)")


def test_open_windows_are_windows_not_window_x_group_rows(tmp_path):
    layout = write(tmp_path, BATCH)
    rows = [{"window_start": start, "city": city, "revenue": 1.0}
            for start in ("2025-01-01T10:00:00Z", "2025-01-01T10:15:00Z") for city in "ABC"]
    StreamOutputs(layout.stream_output).live_file.write_text(json.dumps({"windows": rows}))
    assert ", 2 open windows," in status_line(layout)


def test_a_status_without_a_ledger(tmp_path):
    line = status_line(write(tmp_path, BATCH))
    assert line.endswith("3 late, lag 0")

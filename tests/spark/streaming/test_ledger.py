"""The ledger from progress reports, without Spark: each batch counted once, across restarts
and catch-ups; a new query starts afresh; late events are the dedup's drops, not the windows'
rows; what does not add up, or a batch never seen, is not balanced."""

from __future__ import annotations

import json

import pytest

from services.outputs import STARTING
from services.schema import MALFORMED_KINDS
from services.spark.job_status import JobStatus
from services.spark.stream_ledger import BatchCounts, Ledger
from services.spark.stream_monitor import LEDGER, carried_ledger


def report(batch: int, read: int, valid: int, counted: int, late: int = 0,
           query: str = "q", agg_late: int = 0, **reasons: int) -> dict:
    return {"id": query, "runId": "r", "batchId": batch, "name": "windowed_revenue",
            "observedMetrics": {
                "ledger_intake": {"read": read, **dict.fromkeys(MALFORMED_KINDS, 0),
                                  **reasons},
                "ledger_valid": {"rows": valid}, "ledger_counted": {"rows": counted}},
            "stateOperators": [
                {"operatorName": "stateStoreSave", "numRowsDroppedByWatermark": agg_late},
                {"operatorName": "dedupeWithinWatermark", "numRowsDroppedByWatermark": late}]}


def test_a_batch_splits_into_counted_duplicates_late_and_quarantined():
    counts = BatchCounts.of(report(0, read=20, valid=15, counted=10, late=2, not_json=3,
                                   empty=2))
    assert (counts.quarantined, counts.duplicates, counts.late) == (5, 3, 2)
    assert counts.quarantined_by_reason["not_json"] == 3
    assert counts.window_rows_dropped == 0


def test_late_counts_events_and_a_window_row_dropped_unbalances():
    """One late event is one, not the 4 windows it falls in; should the windows' operator
    drop a row, a counted event is missing from a window."""
    ledger = Ledger()
    counts = ledger.add(report(0, read=10, valid=10, counted=9, late=1, agg_late=4))
    assert (counts.late, counts.duplicates, counts.window_rows_dropped) == (1, 0, 4)
    assert (ledger.late, ledger.balanced) == (1, False)
    assert Ledger().add(report(0, read=10, valid=10, counted=9, late=1)) is not None


def test_each_batch_counts_once_and_a_new_query_starts_afresh():
    ledger = Ledger()
    assert ledger.add(report(0, 10, 8, 7, empty=2)) is not None
    assert ledger.add(report(1, 5, 5, 3, late=1)) is not None
    assert ledger.add(report(1, 5, 5, 3, late=1)) is None  # reported again
    assert ledger.add(report(0, 10, 8, 7, empty=2)) is None  # replayed after a restart
    assert ledger.to_json() == {
        "query_id": "q", "batch_id": 1, "read": 15, "quarantined": 2,
        "quarantined_by_reason": {**dict.fromkeys(MALFORMED_KINDS, 0), "empty": 2},
        "duplicates": 2, "late": 1, "counted": 10, "missed_batches": 0, "balanced": True}
    ledger.add(report(0, 4, 4, 4, query="another"))
    assert (ledger.query_id, ledger.read, ledger.counted, ledger.quarantined) == (
        "another", 4, 4, 0)


def test_a_batch_never_seen_unbalances():
    ledger = Ledger()
    ledger.add(report(0, 5, 5, 5))
    ledger.add(report(1, 5, 5, 5))
    assert (ledger.missed_batches, ledger.balanced) == (0, True)
    ledger.add(report(3, 5, 5, 5))  # batch 2 committed, its report lost
    assert (ledger.missed_batches, ledger.balanced) == (1, False)
    assert Ledger.from_json(ledger.to_json()).missed_batches == 1
    late_start = Ledger()  # a status file lost: the query's batches 0-6 never seen
    late_start.add(report(7, 5, 5, 5))
    assert late_start.to_json()["missed_batches"] == 7 and not late_start.balanced


@pytest.mark.parametrize("batch", [
    report(0, read=10, valid=9, counted=9),  # a record neither valid nor quarantined
    report(0, read=10, valid=10, counted=9, late=2),  # more out than came in
])
def test_what_does_not_add_up_is_not_balanced(batch):
    ledger = Ledger()
    ledger.add(batch)
    assert ledger.to_json()["balanced"] is False
    ledger.add(report(1, read=3, valid=3, counted=3))
    assert Ledger.from_json(ledger.to_json()).balanced is False  # it stays so


def test_the_ledger_survives_a_restart_through_the_status_file(tmp_path):
    ledger = Ledger()
    ledger.add(report(0, 10, 8, 6, late=1, bad_time=2))
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"state": "stopped", "batch_id": 0,
                                  "ledger": ledger.to_json()}))
    restarted = JobStatus(status, carried=(LEDGER,))
    restarted.set(STARTING)  # the new run's first write keeps the ledger, not the rest
    written = json.loads(status.read_text())
    assert written["ledger"] == ledger.to_json() and "batch_id" not in written
    again = carried_ledger(restarted)
    assert again == ledger
    assert again.add(report(0, 10, 8, 6, late=1, bad_time=2)) is None
    again.add(report(1, 1, 1, 1))
    assert (again.read, again.counted, again.duplicates, again.balanced) == (11, 7, 1, True)


def test_an_unreadable_status_file_gives_an_empty_ledger(tmp_path):
    status = tmp_path / "status.json"

    def read() -> Ledger:
        return carried_ledger(JobStatus(status, carried=(LEDGER,)))

    assert read() == Ledger()
    status.write_text('{"ledger": {"read": "many"}}')
    assert read() == Ledger()
    status.write_text("[1, 2]")
    assert read() == Ledger()
    assert carried_ledger(JobStatus(None, carried=(LEDGER,))) == Ledger()


def test_unknown_schema_is_listed_once_it_happens_and_balances():
    ledger = Ledger()
    ledger.add(report(0, 10, 10, 10))
    assert set(ledger.to_json()["quarantined_by_reason"]) == set(MALFORMED_KINDS)
    ledger.add(report(1, 4, 2, 2, unknown_schema=1, empty=1))
    out = ledger.to_json()
    assert out["quarantined_by_reason"]["unknown_schema"] == 1
    assert (out["quarantined"], out["balanced"]) == (2, True)
    assert Ledger.from_json(out).to_json() == out  # a restart keeps it

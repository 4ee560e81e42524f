"""The ledger: where every record the streaming job read went, summed over its micro-batches
and across restarts.

    read = counted + duplicates + late + quarantined

The main query observes, in each micro-batch, the records read and quarantined by reason (on
the classified records), the valid events (after the transform) and the events the dedup
lets through (counted: what reaches the windows). The dedup operator, the first stateful one,
reports the events it drops as late (at or before the watermark of the batch): events, once
each. The windows' operator after it reports window rows, not events (an event is in
WINDOW_S / SLIDE_S windows), and drops none: an event after the watermark is only
in windows that end after it, still open. Should it ever drop one, a counted event would be
missing from a window, so the ledger is no longer balanced. Duplicates are what remains of
the valid events: valid - counted - late.

`balanced` is then: read == counted + duplicates + late + quarantined (no record lost between
the quarantine and the windows), no negative count, no window row dropped, and no batch of
the query missed (`missed_batches`: batch ids the ledger never saw, because the status file
was lost or the job was killed between a batch's commit and its report).

Counting is pure (progress dicts in, dicts out). A batch is counted once: the ledger
remembers the query id and the last batch id it counted, so a batch reported again (a
restart that replays it, a catch-up at stop) adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from services.outputs import LEDGER_KEYS
from services.schema import MALFORMED_KINDS
from services.spark.stream_intake import REASON, REASONS

INTAKE_METRIC, VALID_METRIC, COUNTED_METRIC = "ledger_intake", "ledger_valid", "ledger_counted"
READ, ROWS = "read", "rows"
DEDUP_OPERATOR = "dedupeWithinWatermark"  # Spark's operatorName in the progress


def observe_intake(classified: DataFrame) -> DataFrame:
    """Records read and quarantined by reason, per micro-batch."""
    counts: list[Column] = [F.count(F.lit(1)).alias(READ)]
    counts += [F.count_if(F.col(REASON) == F.lit(r)).alias(r) for r in REASONS]
    return classified.observe(INTAKE_METRIC, *counts)


def observe_rows(rows: DataFrame, name: str) -> DataFrame:
    return rows.observe(name, F.count(F.lit(1)).alias(ROWS))


@dataclass(frozen=True)
class BatchCounts:
    """One micro-batch's share of the ledger."""

    read: int
    quarantined_by_reason: dict[str, int]
    valid: int
    counted: int
    late: int
    window_rows_dropped: int = 0  # by the windows' operator: should stay 0

    @property
    def quarantined(self) -> int:
        return sum(self.quarantined_by_reason.values())

    @property
    def duplicates(self) -> int:
        return self.valid - self.counted - self.late

    @classmethod
    def of(cls, progress: dict[str, Any]) -> BatchCounts:
        metrics = progress.get("observedMetrics") or {}

        def metric(name: str, key: str) -> int:
            return int((metrics.get(name) or {}).get(key) or 0)

        dropped = {"late": 0, "windows": 0}
        for op in progress.get("stateOperators") or []:
            where = "late" if op.get("operatorName") == DEDUP_OPERATOR else "windows"
            dropped[where] += int(op.get("numRowsDroppedByWatermark") or 0)
        return cls(read=metric(INTAKE_METRIC, READ),
                   quarantined_by_reason={r: metric(INTAKE_METRIC, r)
                                          for r in REASONS},
                   valid=metric(VALID_METRIC, ROWS), counted=metric(COUNTED_METRIC, ROWS),
                   late=dropped["late"], window_rows_dropped=dropped["windows"])


def _zero() -> dict[str, int]:
    """Every poison kind, listed at 0; `unknown_schema` (wire formats only) once it occurs."""
    return dict.fromkeys(MALFORMED_KINDS, 0)


@dataclass
class Ledger:
    """Running totals of one query (its id survives restarts from the checkpoint)."""

    query_id: str | None = None
    batch_id: int | None = None  # the last batch counted
    read: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=_zero)
    duplicates: int = 0
    late: int = 0
    counted: int = 0
    missed_batches: int = 0
    broken: bool = False  # a batch did not add up (see BatchCounts), or loaded so

    @property
    def quarantined(self) -> int:
        return sum(self.quarantined_by_reason.values())

    @property
    def balanced(self) -> bool:
        return (not self.broken and self.missed_batches == 0
                and self.read == self.counted + self.duplicates + self.late + self.quarantined)

    def add(self, progress: dict[str, Any]) -> BatchCounts | None:
        """Count one progress report of the main query; None when it was counted already.
        Another query's report (a new checkpoint) starts the ledger afresh."""
        query, batch = progress.get("id"), int(progress.get("batchId", -1))
        if query != self.query_id:
            fresh = Ledger(query_id=query)
            self.__dict__.update(fresh.__dict__)
        elif self.batch_id is not None and batch <= self.batch_id:
            return None
        counts = BatchCounts.of(progress)
        self.missed_batches += max(0, batch - (-1 if self.batch_id is None else self.batch_id)
                                   - 1)
        self.batch_id = batch
        self.read += counts.read
        for reason, n in counts.quarantined_by_reason.items():
            if n or reason in self.quarantined_by_reason:
                self.quarantined_by_reason[reason] = self.quarantined_by_reason.get(reason,
                                                                                    0) + n
        self.duplicates += counts.duplicates
        self.late += counts.late
        self.counted += counts.counted
        self.broken = (self.broken or counts.duplicates < 0
                       or counts.window_rows_dropped > 0)
        return counts

    def to_json(self) -> dict[str, Any]:
        """The status file's `ledger` (LEDGER_KEYS)."""
        out = {"query_id": self.query_id, "batch_id": self.batch_id, "read": self.read,
               "quarantined": self.quarantined,
               "quarantined_by_reason": dict(self.quarantined_by_reason),
               "duplicates": self.duplicates, "late": self.late, "counted": self.counted,
               "missed_batches": self.missed_batches, "balanced": self.balanced}
        return {k: out[k] for k in LEDGER_KEYS}

    @classmethod
    def from_json(cls, data: Any) -> Ledger:
        """A ledger from a status file's `ledger`; an empty one when it cannot be read."""
        try:
            by_reason = {**_zero(), **{str(k): int(v) for k, v in
                                       data["quarantined_by_reason"].items()}}
            return cls(query_id=data["query_id"], batch_id=int(data["batch_id"]),
                       read=int(data["read"]), quarantined_by_reason=by_reason,
                       duplicates=int(data["duplicates"]), late=int(data["late"]),
                       counted=int(data["counted"]),
                       missed_batches=int(data["missed_batches"]),
                       broken=data["balanced"] is not True)
        except (KeyError, TypeError, ValueError, AttributeError):
            return cls()

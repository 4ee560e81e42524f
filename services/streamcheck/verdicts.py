"""The verdict on a pipeline's output against the expected answer, window x group by window
x group. Pure: the answer and the rows in, the differences and the counts out.

Differences, per window x group:
  missing     expected with count_min > 0, absent from the output
  unexpected  in the output, not in the answer at all
  twice       in the output more than once (its count and sum are then not judged)
  count       the count is outside [count_min, count_max]
  sum         the sum is outside [sum_min - 0.01, sum_max + 0.01] (both sides round to cents)
A window x group whose count_min is 0 (only too-late events may fall in it) may be absent.

A window is judged only when it has closed in the output (it ends at or before
`closed_before_ms`, when that is given) and its answer is final (it ends at or before the
answer's complete_until_ms, when that is set), in the answer and in the output alike; the
others are counted as not yet judged, by reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.streamcheck.answer import Answer
from services.streamcheck.output import OutputRows
from services.streamcheck.times import instant_text, iso_of_ms

MISSING, UNEXPECTED, TWICE, COUNT, SUM = "missing", "unexpected", "twice", "count", "sum"
KINDS = (MISSING, UNEXPECTED, TWICE, COUNT, SUM)
TOLERANCE = 0.01  # a cent: the answer and the pipeline each round revenue to cents
NOISE = 1e-6  # float arithmetic, far below a cent
PLACES_SHOWN = 3  # output places listed for a window x group found more than once


@dataclass(frozen=True)
class Difference:
    kind: str
    group: str
    start_ms: int
    expected: str
    found: str
    where: str = ""  # the output's file and line (or row), when known

    def to_json(self, window_ms: int) -> dict[str, Any]:
        return {"kind": self.kind, "group": self.group,
                "window_start": iso_of_ms(self.start_ms),
                "window_end": iso_of_ms(self.start_ms + window_ms),
                "expected": self.expected, "found": self.found, "where": self.where}


@dataclass(frozen=True)
class Verdict:
    windows: int  # windows judged: window starts in the answer or the output
    verified: int  # of those, the windows without a difference
    rows: int  # window x group rows judged (in the answer or the output)
    rows_verified: int
    differences: tuple[Difference, ...]  # sorted by window, group, kind
    window_ms: int
    closed_before_ms: int | None = None  # the output's cut-off: later windows are open
    complete_until_ms: int | None = None  # the answer's: later windows are not final
    not_closed: int = 0  # windows not judged: they end after closed_before_ms
    not_final: int = 0  # windows not judged: closed, but end after complete_until_ms

    @property
    def cut_ms(self) -> int | None:
        """The end of the last window that could be judged; None when every one was."""
        cuts = [c for c in (self.closed_before_ms, self.complete_until_ms) if c is not None]
        return min(cuts) if cuts else None

    @property
    def not_judged(self) -> int:
        return self.not_closed + self.not_final

    @property
    def right(self) -> bool:
        """No difference, and something was judged (a cut-off before every window judges
        nothing: not yet verified)."""
        return not self.differences and (self.windows > 0 or self.cut_ms is None)

    def counts(self) -> dict[str, int]:
        """Differences by kind, in KINDS order, kinds that occur only."""
        found = [d.kind for d in self.differences]
        return {kind: found.count(kind) for kind in KINDS if kind in found}

    def summary(self) -> str:
        """The one-line verdict."""
        cut = self.cut_ms
        upto = "" if cut is None else f", windows ending by {instant_text(cut)}"
        later = f"; {_windows(self.not_judged)} not yet judged" if self.not_judged else ""
        if not self.windows and cut is not None:
            return (f"NOT VERIFIED: no window ends by {instant_text(cut)}; nothing to judge "
                    f"yet{later}")
        if self.right:
            return (f"RIGHT: verified {self.verified} of {self.windows} windows "
                    f"({self.rows:,} window x group rows){upto}{later}")
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in self.counts().items())
        return (f"WRONG: verified {self.verified} of {self.windows} windows "
                f"({self.rows_verified:,} of {self.rows:,} window x group rows){upto}; "
                f"{len(self.differences):,} differences: {kinds}{later}")

    def not_judged_text(self) -> str:
        """Why some windows were not judged ("" when all were)."""
        reasons = []
        if self.not_closed:
            reasons.append(f"{_windows(self.not_closed)} not closed in the output (ending "
                           f"after {instant_text(self.closed_before_ms or 0)})")
        if self.not_final:
            reasons.append(f"{_windows(self.not_final)} whose expected answer is not final "
                           f"(ending after its complete_until "
                           f"{instant_text(self.complete_until_ms or 0)}: the producer is "
                           "still sending)")
        return "not yet judged: " + "; ".join(reasons) if reasons else ""


def _windows(n: int) -> str:
    return f"{n:,} window" if n == 1 else f"{n:,} windows"


def newest_end_ms(answer: Answer, rows: OutputRows) -> int | None:
    """The end of the newest window in the output: every window ending by then has closed
    (Spark's watermark emits all of them together), so it is the cut-off for a running
    stream. None when the output holds no row."""
    return int(rows.start_ms.max()) + answer.window_ms if len(rows) else None


def verify(answer: Answer, output: OutputRows, closed_before_ms: int | None = None) -> Verdict:
    """Judge every window x group of the answer and the output that has closed (ends by
    `closed_before_ms`, when given) and whose answer is final (ends by the answer's
    complete_until_ms, when set)."""
    expected = _expected_table(answer)
    found = _output_table(output)
    ends = np.unique(np.concatenate([expected["start"].to_numpy(),
                                     found["start"].to_numpy()])) + answer.window_ms
    closed = ends <= closed_before_ms if closed_before_ms is not None else \
        np.ones(len(ends), dtype=bool)
    final = ends <= answer.complete_until_ms if answer.complete_until_ms is not None else \
        np.ones(len(ends), dtype=bool)
    if not (closed & final).all():
        judged = ends[closed & final] - answer.window_ms
        expected = expected.filter(pa.array(np.isin(expected["start"].to_numpy(), judged)))
        found = found.filter(pa.array(np.isin(found["start"].to_numpy(), judged)))
    per_key = found.group_by(["start", "group"], use_threads=False).aggregate(
        [("o", "count"), ("o", "min"), ("o", "list")])
    repeated = per_key.filter(pc.greater(per_key["o_count"], 1))
    keys = zip(repeated["start"].to_pylist(), repeated["group"].to_pylist(), strict=True)
    rows_of = dict(zip(keys, repeated["o_list"].to_pylist(), strict=True))
    joined = expected.join(per_key.drop_columns(["o_list"]), keys=["start", "group"],
                           join_type="full outer", use_threads=False)
    differences = _differences(answer, output, joined, rows_of)
    starts = joined["start"].to_numpy()
    wrong_starts = {d.start_ms for d in differences}
    wrong_rows = {(d.start_ms, d.group) for d in differences}
    return Verdict(windows=len(np.unique(starts)),
                   verified=len(np.unique(starts)) - len(wrong_starts),
                   rows=joined.num_rows, rows_verified=joined.num_rows - len(wrong_rows),
                   differences=tuple(sorted(differences, key=lambda d: (
                       d.start_ms, d.group, KINDS.index(d.kind)))),
                   window_ms=answer.window_ms, closed_before_ms=closed_before_ms,
                   complete_until_ms=answer.complete_until_ms,
                   not_closed=int((~closed).sum()), not_final=int((closed & ~final).sum()))


def _expected_table(answer: Answer) -> pa.Table:
    w = answer.windows
    return pa.table({
        "start": pa.array([x.start_ms for x in w], pa.int64()),
        "group": pa.array([x.group for x in w], pa.string()),
        "e": pa.array(np.arange(len(w), dtype=np.int64)),
    })


def _output_table(output: OutputRows) -> pa.Table:
    return pa.table({
        "start": pa.array(output.start_ms, pa.int64()),
        "group": pa.array(output.groups.tolist(), pa.string()),
        "o": pa.array(np.arange(len(output), dtype=np.int64)),
    })


def _differences(answer: Answer, output: OutputRows, joined: pa.Table,
                 rows_of: dict[tuple[int, str], list[int]]) -> list[Difference]:
    """`rows_of`: the output rows of each window x group found more than once."""
    n = joined.num_rows
    starts = joined["start"].to_numpy()
    groups = joined["group"].to_pylist()
    e = joined["e"].fill_null(-1).to_numpy()
    times = joined["o_count"].fill_null(0).to_numpy()
    first = joined["o_min"].fill_null(0).to_numpy()
    bounds = _bounds(answer)
    at = np.maximum(e, 0)
    cmin, cmax, smin, smax = (np.where(e >= 0, column[at] if len(column) else 0, 0)
                              for column in bounds)
    count = output.counts[first] if len(output) else np.zeros(n, dtype=np.int64)
    total = output.sums[first] if len(output) else np.zeros(n, dtype=np.float64)
    known, once = e >= 0, times == 1
    slack = TOLERANCE + NOISE
    kinds = {
        MISSING: known & (times == 0) & (cmin > 0),
        UNEXPECTED: ~known & (times > 0),
        TWICE: times > 1,
        COUNT: known & once & ((count < cmin) | (count > cmax)),
        SUM: known & once & ((total < smin - slack) | (total > smax + slack)),
    }
    out = []
    for kind, mask in kinds.items():
        for i in np.flatnonzero(mask):
            expected, found = _texts(kind, i, cmin, cmax, smin, smax, count, total, times)
            rows = rows_of.get((int(starts[i]), groups[i]), [int(first[i])])
            where = "" if kind == MISSING else _where(output, rows)
            out.append(Difference(kind, groups[i], int(starts[i]), expected, found, where))
    return out


def _bounds(answer: Answer) -> tuple[np.ndarray, ...]:
    """count_min, count_max, sum_min, sum_max of every window x group of the answer."""
    w = answer.windows
    return (np.array([x.count_min for x in w], dtype=np.int64),
            np.array([x.count_max for x in w], dtype=np.int64),
            np.array([x.sum_min for x in w], dtype=np.float64),
            np.array([x.sum_max for x in w], dtype=np.float64))


def _texts(kind: str, i: int, cmin: np.ndarray, cmax: np.ndarray, smin: np.ndarray,
           smax: np.ndarray, count: np.ndarray, total: np.ndarray, times: np.ndarray
           ) -> tuple[str, str]:
    counts = _span(f"{cmin[i]:,}", f"{cmax[i]:,}")
    sums = _span(f"{smin[i]:,.2f}", f"{smax[i]:,.2f}")
    if kind == MISSING:
        return f"{_events(counts)}, {sums}", "no row"
    if kind == UNEXPECTED:
        return "no row", f"{_events(f'{count[i]:,}')}, {_money(total[i])}"
    if kind == TWICE:
        return "one row", f"{times[i]:,} rows"
    if kind == COUNT:
        return counts, f"{count[i]:,}"
    return f"{sums} (± {TOLERANCE})", _money(total[i])


def _events(number: str) -> str:
    return f"{number} event" if number == "1" else f"{number} events"


def _span(low: str, high: str) -> str:
    return low if low == high else f"{low} to {high}"


def _money(value: float) -> str:
    text = f"{value:,.2f}"
    return text if float(f"{value:.2f}") == value else f"{value:,.6f}".rstrip("0")


def _where(output: OutputRows, rows: list[int]) -> str:
    """Where the first few of some output rows are (nothing for rows without places)."""
    if not len(output.file_of):
        return ""
    rows = sorted(rows)
    places = [output.where(r) for r in rows[:PLACES_SHOWN]]
    if len(rows) > PLACES_SHOWN:
        places.append(f"{len(rows) - PLACES_SHOWN} more")
    return "; ".join(places)

"""The expected answer, accumulated from what is sent: every window x group's count and
revenue, with bounds where a too-late event may or may not be counted, and the ledger.

Each distinct event adds its value to the WINDOWS_PER_EVENT sliding windows that hold its
event time. An event sent too late (past the watermark) is counted or dropped depending on
whether the job's watermark had moved past it when its micro-batch ran, which the sender
cannot know: it widens its windows' bounds instead (count by one, revenue by its value in
the direction of its sign).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.schema import MALFORMED_KINDS, SLIDE_S, WATERMARK_S, WINDOW_S, WINDOWS_PER_EVENT
from services.streamcheck.answer import Answer, Ledger, WindowAnswer
from services.streamcheck.facts import Facts, round_half_up

FLUSH_EVENTS = 1 << 16
SLIDE_MS = SLIDE_S * 1000
CODE_BITS = 24  # group codes that fit pack with their window; more groups sort as pairs
CODE_MASK = (1 << CODE_BITS) - 1


def window_starts(time_ms: np.ndarray) -> np.ndarray:
    """(n, WINDOWS_PER_EVENT) starts of the windows holding each time, newest first."""
    newest = np.floor_divide(time_ms, SLIDE_MS) * SLIDE_MS
    return newest[:, None] - np.arange(WINDOWS_PER_EVENT, dtype=np.int64)[None, :] * SLIDE_MS


@dataclass
class Tally:
    """Running sums per (window start, group code)."""

    keys: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    sums: np.ndarray = field(default_factory=lambda: np.zeros((0, 5)))  # see COLUMNS
    COLUMNS = ("count", "revenue", "maybe_count", "maybe_up", "maybe_down")

    def add(self, keys: np.ndarray, sums: np.ndarray) -> None:
        """Fold (window start, group code) rows into the sums. Each pair is packed into one
        int64 (the start's slide number above CODE_BITS bits of code) so that one flat sort
        finds the distinct pairs: np.unique over rows sorts ten times slower."""
        keys = np.concatenate([self.keys, keys])
        sums = np.concatenate([self.sums, sums])
        if len(keys) and keys[:, 1].max() > CODE_MASK:
            unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        else:
            packed = (np.floor_divide(keys[:, 0], SLIDE_MS) << CODE_BITS) | keys[:, 1]
            flat, inverse = np.unique(packed, return_inverse=True)
            unique = np.stack([(flat >> CODE_BITS) * SLIDE_MS, flat & CODE_MASK], axis=1)
        inverse = inverse.ravel()
        self.keys = unique
        self.sums = np.stack([np.bincount(inverse, weights=sums[:, j], minlength=len(unique))
                              for j in range(sums.shape[1])], axis=1) if len(unique) else \
            np.zeros((0, sums.shape[1]))


class AnswerBook:
    """Counts what is sent, batch by batch, and gives the expected answer at any time."""

    def __init__(self, group_field: str, value_field: str) -> None:
        self.group_field, self.value_field = group_field, value_field
        self.groups: dict[str, int] = {}
        self.names: list[str] = []
        self.tally = Tally()
        self.pending: list[tuple[np.ndarray, pa.Array, np.ndarray, np.ndarray]] = []
        self.pending_rows = 0
        self.counts = {"sent": 0, "events": 0, "duplicates": 0, "late": 0,
                       "out_of_order": 0, "too_late": 0}
        self.malformed = dict.fromkeys(MALFORMED_KINDS, 0)
        self.newest_ms: int | None = None  # the newest pacing key sent

    def events(self, facts: Facts, too_late: np.ndarray, now_ms: int) -> None:
        """Distinct events sent (first copies); stamped ones take `now_ms` as their time."""
        if not len(facts):
            return
        time_ms = np.where(facts.stamped, now_ms, facts.time_ms)
        self.pending.append((time_ms, facts.group, facts.value, np.asarray(too_late, bool)))
        self.pending_rows += len(facts)
        if self.pending_rows >= FLUSH_EVENTS:
            self.flush()

    def messages(self, sent: int, events: int, duplicates: int, late: int, too_late: int,
                 out_of_order: int, malformed: dict[str, int], newest_ms: int | None) -> None:
        for key, value in (("sent", sent), ("events", events), ("duplicates", duplicates),
                           ("late", late), ("too_late", too_late),
                           ("out_of_order", out_of_order)):
            self.counts[key] += value
        for kind, count in malformed.items():
            self.malformed[kind] += count
        if newest_ms is not None:
            self.newest_ms = newest_ms if self.newest_ms is None else max(self.newest_ms,
                                                                          newest_ms)

    def flush(self) -> None:
        if not self.pending:
            return
        time_ms = np.concatenate([p[0] for p in self.pending])
        group = pa.concat_arrays([p[1] for p in self.pending])
        value = np.concatenate([p[2] for p in self.pending])
        maybe = np.concatenate([p[3] for p in self.pending])
        self.pending, self.pending_rows = [], 0
        codes = self._codes(group)
        starts = window_starts(time_ms)
        keys = np.stack([starts.ravel(), np.repeat(codes, WINDOWS_PER_EVENT)], axis=1)
        sure = ~maybe
        columns = np.stack([sure * 1.0, np.where(sure, value, 0.0), maybe * 1.0,
                            np.where(maybe, np.maximum(value, 0.0), 0.0),
                            np.where(maybe, np.minimum(value, 0.0), 0.0)], axis=1)
        self.tally.add(keys, np.repeat(columns, WINDOWS_PER_EVENT, axis=0))

    def _codes(self, group: pa.Array) -> np.ndarray:
        encoded = pc.dictionary_encode(group)
        local = []
        for name in encoded.dictionary.to_pylist():
            code = self.groups.get(name)
            if code is None:
                code = self.groups[name] = len(self.names)
                self.names.append(name)
            local.append(code)
        return np.asarray(local, dtype=np.int64)[encoded.indices.to_numpy(
            zero_copy_only=False)]

    def ledger(self) -> Ledger:
        return Ledger(sent=self.counts["sent"], events=self.counts["events"],
                      duplicates=self.counts["duplicates"],
                      malformed={k: v for k, v in self.malformed.items() if v},
                      late=self.counts["late"], out_of_order=self.counts["out_of_order"],
                      too_late=self.counts["too_late"])

    def answer(self, pending_ms: float | None = None) -> Answer:
        """The answer so far. `pending_ms`: how far behind the newest key sent an event may
        still come (the spec's longest delay); windows ending before then are final. None:
        the run has ended, so every window is."""
        self.flush()
        rows = []
        for (start, code), sums in zip(self.tally.keys.tolist(), self.tally.sums, strict=True):
            count, revenue, maybe, up, down = sums
            low = round_half_up(np.array([revenue + down]))[0]
            high = round_half_up(np.array([revenue + up]))[0]
            rows.append(WindowAnswer(self.names[code], int(start), int(count),
                                     int(count + maybe), float(low), float(high)))
        rows.sort(key=lambda w: (w.start_ms, w.group))
        complete = None
        if pending_ms is not None and self.newest_ms is not None:
            complete = int(self.newest_ms - pending_ms)
        return Answer(self.group_field, self.value_field, WINDOW_S, SLIDE_S, WATERMARK_S,
                      tuple(rows), self.ledger(), complete)

"""The fault plan of a chunk: which events go late, twice or out of order, and where poison
messages go. Pure numpy over the chunk's ordering keys, so it is the same for the same seed.

Each event gets a delay in event time (jitter, plus lateness for late and too-late ones) and
the chunk is re-sorted by key + delay; copies of duplicated events are sorted in after their
originals; poison messages are inserted between. Every fault draws from its own random
stream, seeded by (seed, chunk, fault), so turning one fault on or off leaves the draws of
the others as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.schema import FaultSpec

ON_TIME, LATE, TOO_LATE, DUPLICATE, POISON = range(5)
KIND_NAMES = ("on_time", "late", "too_late", "duplicate", "poison")
OUT_OF_ORDER, JITTER, LATENESS, TOO_LATENESS, COPIES, POISONS = range(6)  # stream ids


@dataclass(frozen=True)
class Plan:
    """The send sequence of a chunk: per item, the row it sends (-1 for a poison message),
    its fault kind, its ordering key (ms) and, for poisons, the malformed kind's index into
    the spec's kinds (-1 otherwise)."""

    rows: np.ndarray
    kinds: np.ndarray
    send_ms: np.ndarray
    poisons: np.ndarray
    out_of_order: np.ndarray  # bool: an on-time event sent after a newer one

    @property
    def size(self) -> int:
        return len(self.rows)

    def templates(self) -> np.ndarray:
        """Per item, the item whose event a poison message is made from: the event sent
        just before it (the first event, for poisons before any), -1 for events. One event
        per poison, whatever stretches the sequence is sent in, so its bytes are the same."""
        positions = np.arange(self.size)
        real = self.rows >= 0
        before = np.maximum.accumulate(np.where(real, positions, -1)) if self.size else positions
        first = int(np.flatnonzero(real)[0]) if real.any() else -1
        return np.where(real, -1, np.where(before >= 0, before, first))

    def subset(self, keep: np.ndarray) -> Plan:
        return Plan(self.rows[keep], self.kinds[keep], self.send_ms[keep], self.poisons[keep],
                    self.out_of_order[keep])


def _rng(seed: int, chunk: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed % 2**63, chunk, stream])


def _uniform_ms(rng: np.random.Generator, low_s: float, high_s: float, n: int) -> np.ndarray:
    return np.round(rng.uniform(low_s * 1000, high_s * 1000, n)).astype(np.int64)


def plan(keys: np.ndarray, timed: np.ndarray, spec: FaultSpec, seed: int,
         chunk: int) -> Plan:
    """The plan for rows sent in the order of `keys` (ms, ascending: their event times, or
    the time of the row before for rows stamped at send, which `timed` marks False)."""
    n = len(keys)
    rows = np.arange(n, dtype=np.int64)
    delay = np.zeros(n, dtype=np.int64)
    kinds = np.zeros(n, dtype=np.int8)
    if spec.out_of_order_s:
        jitter = _uniform_ms(_rng(seed, chunk, JITTER), 0.0, spec.out_of_order_s, n)
        delay += np.where(timed, jitter, 0)
    for kind, delays, stream in ((LATE, spec.late, LATENESS),
                                 (TOO_LATE, spec.too_late, TOO_LATENESS)):
        if delays is None:
            continue
        rng = _rng(seed, chunk, stream)
        chosen = (rng.random(n) < delays.p) & timed & (kinds == ON_TIME)
        drawn = _uniform_ms(rng, delays.low_s, delays.high_s, n)
        delay += np.where(chosen, np.maximum(drawn, 1), 0)
        kinds[chosen] = kind
    send = keys.astype(np.int64) + delay
    if spec.duplicates is not None:
        rng = _rng(seed, chunk, COPIES)
        copied = np.flatnonzero(rng.random(n) < spec.duplicates.p)
        gap = _uniform_ms(rng, spec.duplicates.low_s, spec.duplicates.high_s, n)[copied]
        rows = np.concatenate([rows, copied])
        send = np.concatenate([send, send[copied] + gap])
        kinds = np.concatenate([kinds, np.full(len(copied), DUPLICATE, np.int8)])
    order = np.argsort(send, kind="stable")  # originals before their copies on ties
    rows, send, kinds = rows[order], send[order], kinds[order]
    poisons = np.full(len(rows), -1, dtype=np.int16)
    if spec.malformed_p:
        rng = _rng(seed, chunk, POISONS)
        count = int(rng.binomial(n, spec.malformed_p))
        at = np.sort(rng.integers(0, len(rows) + 1, count))
        which = rng.integers(0, len(spec.malformed_kinds), count).astype(np.int16)
        key_at = send[np.minimum(at, len(send) - 1)] if len(send) else np.zeros(count,
                                                                              np.int64)
        rows = np.insert(rows, at, -1)
        send = np.insert(send, at, key_at)
        kinds = np.insert(kinds, at, np.int8(POISON))
        poisons = np.insert(poisons, at, which)
    send = np.maximum.accumulate(send) if len(send) else send  # a pacing key never goes back
    return Plan(rows, kinds, send, poisons, _out_of_order(rows, kinds, keys, timed))


def _out_of_order(rows: np.ndarray, kinds: np.ndarray, keys: np.ndarray,
                  timed: np.ndarray) -> np.ndarray:
    """On-time events sent after an event with a later event time."""
    real = rows >= 0
    times = np.where(real, keys[np.where(real, rows, 0)], np.iinfo(np.int64).min)
    newest_before = np.maximum.accumulate(np.concatenate([[np.iinfo(np.int64).min],
                                                          times[:-1]])) if len(times) else times
    safe_rows = np.where(real, rows, 0)
    return real & (kinds == ON_TIME) & timed[safe_rows] & (times < newest_before)

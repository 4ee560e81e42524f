"""The fault plan: what is sent late, twice or out of order, and where poison goes; the same
for the same seed, and each fault's draws independent of the others."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from services.kafka.faulting import (
    DUPLICATE,
    LATE,
    ON_TIME,
    POISON,
    TOO_LATE,
    plan,
)
from services.schema import MALFORMED_KINDS, WATERMARK_S, parse_faults

N = 20_000
KEYS = np.arange(N, dtype=np.int64) * 250  # four events a second
TIMED = np.ones(N, dtype=bool)
EVERY = parse_faults({"out_of_order": "20 s", "late": {"p": 0.05, "min": 60, "max": 300},
                      "too_late": {"p": 0.02}, "duplicates": {"p": 0.03, "max": 30},
                      "malformed": {"p": 0.01}})


def test_same_seed_same_plan_and_another_seed_another():
    one, two = plan(KEYS, TIMED, EVERY, 7, 0), plan(KEYS, TIMED, EVERY, 7, 0)
    for name in ("rows", "kinds", "send_ms", "poisons", "out_of_order"):
        assert np.array_equal(getattr(one, name), getattr(two, name))
    assert not np.array_equal(one.rows, plan(KEYS, TIMED, EVERY, 8, 0).rows)
    assert not np.array_equal(one.rows, plan(KEYS, TIMED, EVERY, 7, 1).rows)


def test_every_event_once_copies_after_their_originals():
    p = plan(KEYS, TIMED, EVERY, 3, 0)
    real = p.rows[(p.kinds != DUPLICATE) & (p.kinds != POISON)]
    assert np.array_equal(np.sort(real), np.arange(N))
    position = {row: i for i, row in enumerate(p.rows.tolist())
                if row >= 0 and p.kinds[i] != DUPLICATE}
    copies = np.flatnonzero(p.kinds == DUPLICATE)
    assert len(copies) and all(position[p.rows[i]] < i for i in copies.tolist())
    assert np.all(p.rows[p.kinds == POISON] == -1)
    assert np.all(p.poisons[p.kinds != POISON] == -1)
    assert np.all(p.poisons[p.kinds == POISON] >= 0)
    assert np.all(np.diff(p.send_ms) >= 0)


@pytest.mark.parametrize(("kind", "p"), [(LATE, 0.05), (TOO_LATE, 0.02)])
def test_fractions_are_the_spec_s(kind, p):
    kinds = plan(KEYS, TIMED, EVERY, 11, 0).kinds
    share = np.count_nonzero(kinds == kind) / N
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / N)


def test_duplicate_and_poison_counts():
    p = plan(KEYS, TIMED, EVERY, 11, 0)
    assert abs(np.count_nonzero(p.kinds == DUPLICATE) / N - 0.03) < 0.006
    assert abs(np.count_nonzero(p.kinds == POISON) / N - 0.01) < 0.004
    assert p.size == N + np.count_nonzero(p.kinds == DUPLICATE) + np.count_nonzero(
        p.kinds == POISON)
    assert set(np.unique(p.poisons[p.kinds == POISON]).tolist()) == set(
        range(len(MALFORMED_KINDS)))


def lateness(p):
    """Per event sent once (no copies, no poison): the newest event time sent before it
    minus its own: how far behind the stream it arrives."""
    keep = (p.kinds != DUPLICATE) & (p.kinds != POISON)
    times = KEYS[p.rows[keep]]
    newest = np.maximum.accumulate(times)
    return times, newest - times, p.kinds[keep]


def test_late_events_stay_inside_the_watermark_and_too_late_ones_pass_it():
    p = plan(KEYS, TIMED, EVERY, 5, 0)
    _, behind, kinds = lateness(p)
    assert behind[kinds == ON_TIME].max() <= 20_000
    assert behind[kinds == LATE].max() <= 320_000
    assert behind[kinds == LATE].max() > 200_000  # drawn up to max, not only near min
    # too-late events arrive after events newer than them by more than the watermark
    # (bar the stream's last few minutes, which nothing newer follows)
    body = p.send_ms < KEYS[-1] - 3_600_000 - 20_000
    tail_free = (kinds == TOO_LATE) & body[(p.kinds != DUPLICATE) & (p.kinds != POISON)]
    assert tail_free.any() and behind[tail_free].min() > WATERMARK_S * 1000


def test_out_of_order_flags_on_time_events_sent_after_newer_ones():
    p = plan(KEYS, TIMED, parse_faults({"out_of_order": "10 s"}), 2, 0)
    _, behind, _ = lateness(p)
    assert np.array_equal(p.out_of_order, behind > 0)
    assert 0 < p.out_of_order.sum() < N and behind.max() <= 10_000
    assert not plan(KEYS, TIMED, parse_faults("{}"), 2, 0).out_of_order.any()


def test_untimed_rows_never_move():
    timed = np.arange(N) % 2 == 0
    p = plan(KEYS, timed, EVERY, 4, 0)
    moved = np.isin(p.kinds, (LATE, TOO_LATE))
    assert timed[p.rows[moved]].all()
    assert not p.out_of_order[(p.rows >= 0) & ~timed[np.maximum(p.rows, 0)]].any()


def test_each_fault_draws_alone():
    """Turning poison on leaves which events are late, and which are copied, as they were."""
    base = parse_faults({"late": {"p": 0.05, "max": 300}, "duplicates": {"p": 0.03}})
    more = parse_faults({"late": {"p": 0.05, "max": 300}, "duplicates": {"p": 0.03},
                         "malformed": {"p": 0.2}})
    a, b = plan(KEYS, TIMED, base, 9, 0), plan(KEYS, TIMED, more, 9, 0)
    keep = b.kinds != POISON
    assert np.array_equal(a.rows, b.rows[keep]) and np.array_equal(a.kinds, b.kinds[keep])


def test_a_clean_spec_sends_in_order():
    p = plan(KEYS, TIMED, parse_faults("{}"), 1, 0)
    assert np.array_equal(p.rows, np.arange(N)) and not p.kinds.any()
    assert np.array_equal(p.send_ms, KEYS)


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_chunks(n):
    p = plan(KEYS[:n], TIMED[:n], parse_faults({"malformed": {"p": 1}, "duplicates": {"p": 1}}),
             1, 0)
    assert p.size == 2 * n + np.count_nonzero(p.kinds == POISON)
    assert (p.kinds == POISON).sum() == n


def _faulted_chunk(tmp_path, count: int = 3000):
    from services.kafka.chunks import faulted
    from services.kafka.replay import load_replay
    from services.schema import load_schema
    from tests.schemas import CARD, generate

    replay = load_replay([generate(CARD, tmp_path, count)], load_schema(CARD), "event_id")
    spec = parse_faults({"duplicates": {"p": 0.05}, "malformed": {"p": 0.05},
                         "late": {"p": 0.05, "max": 300}})
    chunks = faulted(replay.passes(False, False, np.random.default_rng(0)), spec, 5, 1.0)
    return next(iter(chunks))


def _messages(chunk, cuts) -> list[tuple]:
    from services.kafka.chunks import render_items
    from services.kafka.poisons import PoisonShape
    from services.schema import MALFORMED_KINDS, load_schema
    from tests.schemas import CARD

    out = []
    for start, stop in itertools.pairwise(cuts):
        keys, values = render_items(chunk, start, stop, 0, PoisonShape.of(load_schema(CARD)),
                                    MALFORMED_KINDS)
        out += list(zip(keys, values, strict=True))
    return out


def test_a_poison_is_the_same_bytes_whatever_stretches_the_plan_is_sent_in(tmp_path):
    """A poison copies the event sent before it in the plan, not in the slice: a resumed run
    (or a slower pace) sends the same bytes."""
    chunk = _faulted_chunk(tmp_path)
    whole = _messages(chunk, [0, chunk.size])
    poisons = np.flatnonzero(chunk.plan.kinds == POISON)
    assert len(poisons) > 20
    cuts = sorted({0, chunk.size, *poisons.tolist(), *(poisons + 1).tolist()})
    assert _messages(chunk, cuts) == whole  # every poison first, or alone, in its slice
    keep = np.random.default_rng(1).random(chunk.size) < 0.5
    part = chunk.subset(keep)
    assert _messages(part, [0, part.size]) == [m for m, k in zip(whole, keep, strict=True) if k]


@pytest.mark.parametrize(("planned", "tail", "count"), [
    ([1, 2, 3], [], 0),                      # nothing in the partition
    ([1, 2, 3], [9, 9], 0),                  # other messages only
    ([1, 2, 3], [9, 1, 2], 2),               # killed after two
    ([1, 2, 3], [1, 2, 3], 3),               # all there
    ([1, 2, 3], [1, 2, 3, 1], 1),            # a whole earlier run, then one of this one
    ([5, 5, 6], [9, 5, 5], 2),               # a copy sent right after its original
    ([5, 5, 6], [9, 5], 1),
    ([1, 2, 1, 2], [7, 1, 2, 1], 3),
])
def test_the_sent_start_of_a_plan_is_the_longest_the_partition_ends_with(planned, tail,
                                                                          count):
    from services.kafka.resume import sent_prefix

    assert sent_prefix(np.asarray(planned), np.asarray(tail)) == count


def test_already_sent_is_per_partition_in_plan_order():
    from services.kafka.resume import PlanPrints, already_sent

    plan_ = PlanPrints(np.array([0, 1, 0, 1, 0]), np.array([10, 20, 11, 21, 12]))
    sent = already_sent(plan_, {0: np.array([3, 10, 11]), 1: np.array([4])})
    assert sent.tolist() == [True, False, True, False, False]
    assert plan_.wanted() == {0: 3, 1: 2}

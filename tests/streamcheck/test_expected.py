"""The expected answer as the producer keeps it: windows, bounds for too-late events, the
ledger, and how far it is final."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from services.schema import SLIDE_S, WINDOW_S, WINDOWS_PER_EVENT
from services.streamcheck.expected import AnswerBook, window_starts
from services.streamcheck.facts import Facts, round_half_up

HOUR = 3_600_000
QUARTER = SLIDE_S * 1000


def facts(times, groups, values, stamped=None):
    n = len(times)
    return Facts(np.asarray(times, dtype=np.int64),
                 np.zeros(n, bool) if stamped is None else np.asarray(stamped, bool),
                 pa.array(groups, pa.string()), np.asarray(values, dtype=float))


def by_key(answer):
    return {(w.group, w.start_ms): w for w in answer.windows}


def test_window_starts_hold_the_time():
    t = np.array([0, QUARTER - 1, QUARTER, 10 * HOUR + 7])
    starts = window_starts(t)
    assert starts.shape == (4, WINDOWS_PER_EVENT) == (4, WINDOW_S // SLIDE_S)
    assert np.all(starts <= t[:, None]) and np.all(t[:, None] < starts + WINDOW_S * 1000)
    assert np.all(starts % QUARTER == 0)
    assert starts[1].tolist() == [0, -QUARTER, -2 * QUARTER, -3 * QUARTER]
    assert starts[2].tolist() == [QUARTER, 0, -QUARTER, -2 * QUARTER]


def test_each_event_counts_in_its_four_windows():
    book = AnswerBook("category", "amount")
    book.events(facts([10 * HOUR + 1, 10 * HOUR + QUARTER, 10 * HOUR + 5],
                      ["a", "a", "b"], [1.25, 2.5, 4.0]), np.zeros(3, bool), 0)
    windows = by_key(book.answer())
    assert len(windows) == 5 + 4  # the two a events share three windows
    first = windows[("a", 10 * HOUR)]
    assert (first.count_min, first.count_max, first.sum_min, first.sum_max) == (2, 2, 3.75, 3.75)
    assert first.exact
    assert windows[("a", 10 * HOUR - 3 * QUARTER)].count_min == 1  # not the later one
    assert windows[("a", 10 * HOUR + QUARTER)].count_min == 1  # only the later one
    assert windows[("b", 10 * HOUR)].sum_min == 4.0


def test_too_late_events_widen_the_bounds_in_the_direction_of_their_sign():
    book = AnswerBook("g", "v")
    book.events(facts([0, 1, 2], ["a", "a", "a"], [10.0, 5.0, -3.0]),
                np.array([False, True, True]), 0)
    w = by_key(book.answer())[("a", 0)]
    assert (w.count_min, w.count_max) == (1, 3)
    assert (w.sum_min, w.sum_max) == (7.0, 15.0)
    assert not w.exact


def test_stamped_events_take_the_send_time():
    book = AnswerBook("g", "v")
    book.events(facts([0], ["a"], [1.0], stamped=[True]), np.zeros(1, bool), 5 * HOUR + 1)
    assert {w.start_ms for w in book.answer().windows} == {5 * HOUR - k * QUARTER
                                                            for k in range(4)}


def test_batches_add_up_across_flushes_and_group_codes():
    one, many = AnswerBook("g", "v"), AnswerBook("g", "v")
    rng = np.random.default_rng(1)
    n = 5000
    t = rng.integers(0, 48 * HOUR, n)
    g = [f"g{x}" for x in rng.integers(0, 7, n)]
    v = np.round(rng.uniform(-50, 500, n), 2)
    late = rng.random(n) < 0.1
    one.events(facts(t, g, v), late, 0)
    for lo in range(0, n, 333):
        many.events(facts(t[lo:lo + 333], g[lo:lo + 333], v[lo:lo + 333]), late[lo:lo + 333], 0)
        many.flush()
    assert one.answer().windows == many.answer().windows
    # against a plain recomputation
    sure = {}
    for time, group, value, maybe in zip(t.tolist(), g, v.tolist(), late.tolist(), strict=True):
        for start in window_starts(np.array([time]))[0].tolist():
            c = sure.setdefault((group, start), [0, 0, 0.0, 0.0])
            if maybe:
                c[1] += 1
                c[3 if value > 0 else 2] += value
            else:
                c[0] += 1
    windows = by_key(one.answer())
    assert set(windows) == set(sure)
    for key, (count, maybe, _, _) in sure.items():
        assert (windows[key].count_min, windows[key].count_max) == (count, count + maybe)


def test_the_ledger_and_how_far_the_answer_is_final():
    book = AnswerBook("g", "v")
    assert book.answer().complete_until_ms is None
    book.messages(sent=10, events=7, duplicates=2, late=1, too_late=1, out_of_order=3,
                  malformed={"empty": 1}, newest_ms=HOUR)
    book.messages(sent=2, events=2, duplicates=0, late=0, too_late=0, out_of_order=0,
                  malformed={}, newest_ms=HOUR - 5)  # an older key does not move it back
    answer = book.answer(pending_ms=60_000)
    assert answer.complete_until_ms == HOUR - 60_000
    ledger = answer.ledger
    assert (ledger.sent, ledger.events, ledger.duplicates, ledger.late, ledger.too_late,
            ledger.out_of_order) == (12, 9, 2, 1, 1, 3)
    assert ledger.malformed["empty"] == 1 and ledger.quarantined == 1


def test_round_half_up_is_spark_s():
    values = np.array([2.675, 2.665, -2.675, 0.005, 1.0049999, 123456.785, -0.004])
    assert round_half_up(values).tolist() == [2.68, 2.67, -2.68, 0.01, 1.0, 123456.79, -0.0]


@pytest.mark.parametrize("top_code", [5, (1 << 24) + 3])
def test_tally_sums_each_window_and_group_once_packed_or_not(top_code):
    from services.streamcheck.expected import SLIDE_MS, Tally

    rng = np.random.default_rng(4)
    starts = rng.integers(-40, 40, 3000) * SLIDE_MS  # before 1970 too
    codes = rng.integers(0, 6, 3000)
    codes[::7] = top_code
    values = rng.normal(size=(3000, 5))
    tally = Tally()
    for lo in range(0, 3000, 1000):  # folded in three batches, as flushes do
        tally.add(np.stack([starts[lo:lo + 1000], codes[lo:lo + 1000]], axis=1),
                  values[lo:lo + 1000])
    expected: dict[tuple[int, int], np.ndarray] = {}
    for start, code, row in zip(starts.tolist(), codes.tolist(), values, strict=True):
        expected[(start, code)] = expected.get((start, code), 0) + row
    got = {tuple(k): v for k, v in zip(tally.keys.tolist(), tally.sums, strict=True)}
    assert got.keys() == expected.keys()
    for key, row in expected.items():
        np.testing.assert_allclose(got[key], row, rtol=1e-12, atol=1e-12)

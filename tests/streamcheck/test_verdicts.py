"""verify(): each kind of difference at its edge, the cut-off to closed windows, the counts
and the summary; and pipelines that double count or drop late events are caught."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.streamcheck import Answer, Ledger, OutputRows, WindowAnswer, newest_end_ms, verify
from tests.streamcheck import streams

H, Q = 3_600_000, 900_000
LEDGER = Ledger(sent=30, events=28, duplicates=1, malformed={"empty": 1}, late=2,
                out_of_order=3, too_late=1)


def answer(*windows: WindowAnswer) -> Answer:
    return Answer("product", "revenue", 3600, 900, 900, windows, LEDGER)


EXACT = WindowAnswer("Latte", 0, 5, 5, 20.00, 20.00)
RANGE = WindowAnswer("Mug", 0, 2, 3, 10.00, 12.50)
MAYBE = WindowAnswer("Latte", Q, 0, 1, 0.00, 3.00)  # only a too-late event may fall here
BASE = answer(EXACT, RANGE, MAYBE)


def rows(*cells: tuple[str, int, int, float]) -> OutputRows:
    return OutputRows.of([c[0] for c in cells], [c[1] for c in cells], [c[2] for c in cells],
                         [c[3] for c in cells])


def kinds(verdict) -> list[tuple[str, str, int]]:
    return [(d.kind, d.group, d.start_ms) for d in verdict.differences]


def test_the_exact_answer_is_right():
    verdict = verify(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, 10.0)))
    assert verdict.right and verdict.differences == ()
    assert (verdict.windows, verdict.verified, verdict.rows, verdict.rows_verified) == \
        (2, 2, 3, 3)
    assert verdict.summary() == "RIGHT: verified 2 of 2 windows (3 window x group rows)"


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("total", [10.0, 12.5, 11.0])
def test_anything_within_the_bounds_is_right(count, total):
    verdict = verify(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", 0, count, total),
                                ("Latte", Q, 1, 3.0)))
    assert verdict.right, kinds(verdict)


@pytest.mark.parametrize(("count", "kind"), [(1, "count"), (4, "count"), (2, None), (3, None)])
def test_a_count_outside_the_bounds_differs(count, kind):
    verdict = verify(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", 0, count, 11.0)))
    assert kinds(verdict) == ([(kind, "Mug", 0)] if kind else [])


@pytest.mark.parametrize(("total", "right"), [
    (9.99, True), (12.51, True),  # a cent either side: both round to cents
    (9.98, False), (12.52, False), (9.989, False), (12.511, False),
])
def test_the_sum_tolerance_is_one_cent_exactly(total, right):
    verdict = verify(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, total)))
    assert verdict.right is right
    if not right:
        [difference] = verdict.differences
        assert (difference.kind, difference.expected) == ("sum", "10.00 to 12.50 (± 0.01)")


def test_exact_sums_take_a_cent_on_either_side_too():
    assert verify(BASE, rows(("Latte", 0, 5, 20.01), ("Mug", 0, 2, 10.0))).right
    assert verify(BASE, rows(("Latte", 0, 5, 19.99), ("Mug", 0, 2, 10.0))).right
    assert not verify(BASE, rows(("Latte", 0, 5, 20.02), ("Mug", 0, 2, 10.0))).right


def test_missing_rows_and_the_row_that_may_be_absent():
    verdict = verify(BASE, rows(("Latte", 0, 5, 20.0)))
    assert kinds(verdict) == [("missing", "Mug", 0)]  # MAYBE (count_min 0) may be absent
    assert verdict.differences[0].expected == "2 to 3 events, 10.00 to 12.50"
    assert verdict.differences[0].found == "no row"


def test_unexpected_rows_and_groups():
    verdict = verify(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, 10.0),
                                ("Bagel", 0, 1, 2.0), ("Latte", 2 * H, 1, 3.0)))
    assert kinds(verdict) == [("unexpected", "Bagel", 0), ("unexpected", "Latte", 2 * H)]
    assert verdict.windows == 3 and verdict.verified == 1  # MAYBE's window may be empty
    assert verdict.differences[0].found == "1 event, 2.00"


def test_a_window_twice_is_not_judged_further():
    verdict = verify(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, 10.0),
                                ("Mug", 0, 2, 10.0), ("Mug", 0, 9, 1.0)))
    assert kinds(verdict) == [("twice", "Mug", 0)]
    assert verdict.differences[0].found == "3 rows"
    stray = verify(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, 10.0), ("Tea", Q, 1, 1.0),
                              ("Tea", Q, 1, 1.0)))
    assert kinds(stray) == [("unexpected", "Tea", Q), ("twice", "Tea", Q)]


def test_count_and_sum_of_one_row_both_count_and_the_verdict_sums_them_up():
    verdict = verify(BASE, rows(("Latte", 0, 6, 25.0), ("Mug", 0, 2, 10.0)))
    assert kinds(verdict) == [("count", "Latte", 0), ("sum", "Latte", 0)]
    assert verdict.counts() == {"count": 1, "sum": 1}
    assert (verdict.rows, verdict.rows_verified, verdict.windows, verdict.verified) == \
        (3, 2, 2, 1)
    assert verdict.summary() == ("WRONG: verified 1 of 2 windows (2 of 3 window x group rows);"
                                 " 2 differences: 1 count, 1 sum")


def test_only_windows_closed_by_the_cut_off_are_judged():
    output = rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, 10.0), ("Latte", Q, 7, 7.0))
    assert not verify(BASE, output).right  # the later window is wrong
    closed = verify(BASE, output, closed_before_ms=H + Q - 1)  # it has not closed yet
    assert closed.right and closed.windows == 1
    closed = verify(BASE, output, closed_before_ms=H)
    assert closed.right and closed.windows == 1
    assert (closed.not_closed, closed.not_final) == (1, 0)
    assert closed.summary().endswith(", windows ending by 1970-01-01T01:00:00Z; 1 window not "
                                     "yet judged")
    assert closed.not_judged_text() == ("not yet judged: 1 window not closed in the output "
                                        "(ending after 1970-01-01T01:00:00Z)")
    assert kinds(verify(BASE, output, closed_before_ms=H + Q)) == [("count", "Latte", Q),
                                                                   ("sum", "Latte", Q)]
    early = verify(BASE, output, closed_before_ms=H - 1)
    assert not early.right and early.windows == 0
    assert early.summary().startswith("NOT VERIFIED")


def final_until(until_ms: int | None) -> Answer:
    return replace(BASE, complete_until_ms=until_ms)


WRONG_LATER = rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, 10.0), ("Latte", Q, 7, 7.0))


def test_a_window_ending_at_complete_until_is_judged_one_ending_a_ms_later_is_not():
    verdict = verify(final_until(H + Q), WRONG_LATER)  # the later window ends at H + Q
    assert kinds(verdict) == [("count", "Latte", Q), ("sum", "Latte", Q)]
    assert verdict.not_judged == 0
    verdict = verify(final_until(H + Q - 1), WRONG_LATER)
    assert verdict.right and (verdict.windows, verdict.verified) == (1, 1)
    assert (verdict.not_closed, verdict.not_final) == (0, 1)
    assert verdict.summary() == ("RIGHT: verified 1 of 1 windows (2 window x group rows), "
                                 "windows ending by 1970-01-01T01:14:59.999Z; 1 window not yet "
                                 "judged")
    assert verdict.not_judged_text() == (
        "not yet judged: 1 window whose expected answer is not final (ending after its "
        "complete_until 1970-01-01T01:14:59.999Z: the producer is still sending)")
    assert verify(final_until(H), WRONG_LATER).right
    assert not verify(final_until(None), WRONG_LATER).right


def test_an_answer_final_before_every_window_judges_nothing():
    verdict = verify(final_until(H - 1), WRONG_LATER)
    assert not verdict.right and verdict.windows == 0 and verdict.not_final == 2
    assert verdict.summary() == ("NOT VERIFIED: no window ends by 1970-01-01T00:59:59.999Z; "
                                 "nothing to judge yet; 2 windows not yet judged")


def test_rows_only_in_the_output_after_complete_until_are_not_judged():
    output = rows(("Latte", 0, 5, 20.0), ("Mug", 0, 2, 10.0), ("Tea", 2 * Q, 1, 1.0))
    verdict = verify(final_until(H + 2 * Q - 1), output)  # Tea's window: not final
    assert verdict.right and (verdict.windows, verdict.not_final) == (2, 1)
    assert kinds(verify(final_until(H + 2 * Q), output)) == [("unexpected", "Tea", 2 * Q)]


def test_a_window_open_in_the_output_is_not_closed_before_it_is_not_final():
    both = verify(final_until(H - 1), WRONG_LATER, closed_before_ms=H)
    assert (both.not_closed, both.not_final, both.windows, both.cut_ms) == (1, 1, 0, H - 1)
    closed_first = verify(final_until(H + Q), WRONG_LATER, closed_before_ms=H)
    assert (closed_first.not_closed, closed_first.not_final) == (1, 0)
    assert closed_first.right and closed_first.cut_ms == H
    final_first = verify(final_until(H), WRONG_LATER, closed_before_ms=H + Q)
    assert (final_first.not_closed, final_first.not_final) == (0, 1)
    assert final_first.right and final_first.cut_ms == H
    assert "not closed in the output" in both.not_judged_text()
    assert "expected answer is not final" in both.not_judged_text()


def test_newest_end_is_the_cut_off_of_a_running_stream():
    assert newest_end_ms(BASE, rows(("Latte", 0, 5, 20.0), ("Mug", Q, 2, 10.0))) == H + Q
    assert newest_end_ms(BASE, rows()) is None


def test_an_empty_answer_and_output_agree_but_a_cut_off_judges_nothing():
    assert verify(answer(), rows()).right
    assert not verify(answer(), rows(("Latte", 0, 1, 1.0))).right
    assert not verify(answer(), rows(), closed_before_ms=H).right


# ------------------------------------------------------------ pipelines, right and wrong
@pytest.fixture(scope="module")
def stream() -> streams.Stream:
    return streams.make_stream()


def test_a_correct_pipeline_is_right_whether_it_drops_too_late_events_or_not(stream):
    answer = streams.expected_answer(stream)
    assert stream.too_late.sum() > 5 and stream.late.sum() > 20  # the faults are there
    assert sum(not w.exact for w in answer.windows) > 10
    assert verify(answer, streams.correct(stream)).right
    assert verify(answer, streams.correct(stream, drop_too_late=False)).right


def test_the_verifier_catches_a_pipeline_that_double_counts(stream):
    answer = streams.expected_answer(stream)
    verdict = verify(answer, streams.double_counting(stream))
    assert not verdict.right
    assert set(verdict.counts()) == {"count", "sum"}
    duplicated = {(start, stream.groups[i]) for i in np.flatnonzero(stream.duplicated &
                                                                  ~stream.too_late)
                  for start in streams.windows_of(int(stream.times_ms[i]))}
    assert {(d.start_ms, d.group) for d in verdict.differences} <= duplicated
    exact = {(w.start_ms, w.group) for w in answer.windows if w.exact}
    counted = {(d.start_ms, d.group) for d in verdict.differences if d.kind == "count"}
    assert duplicated & exact <= counted  # no window with one right answer escapes


def test_the_verifier_catches_a_pipeline_that_drops_late_events(stream):
    answer = streams.expected_answer(stream)
    verdict = verify(answer, streams.dropping_late(stream))
    assert not verdict.right
    assert set(verdict.counts()) <= {"count", "sum", "missing"} and "count" in verdict.counts()
    late = {(start, stream.groups[i]) for i in np.flatnonzero(stream.late)
            for start in streams.windows_of(int(stream.times_ms[i]))}
    assert {(d.start_ms, d.group) for d in verdict.differences} <= late
    exact = {(w.start_ms, w.group) for w in answer.windows if w.exact}
    assert late & exact <= {(d.start_ms, d.group) for d in verdict.differences}

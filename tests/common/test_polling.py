"""The services' one wait: the first real answer, None at the deadline, a raise at once."""

from __future__ import annotations

import pytest

from services.common.polling import poll


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_returns_the_first_value_that_is_neither_none_nor_false():
    answers = iter([None, False, 0, 5])
    fake = FakeTime()
    assert poll(lambda: next(answers), timeout=10, interval=1, clock=fake.clock,
                sleep=fake.sleep) == 0
    assert fake.slept == [1, 1]


def test_none_after_the_timeout_with_a_last_look_at_the_deadline():
    fake = FakeTime()
    calls = []
    assert poll(lambda: calls.append(fake.now), timeout=2.5, interval=1, clock=fake.clock,
                sleep=fake.sleep) is None
    assert calls == [0, 1, 2, 2.5]


def test_a_check_that_raises_ends_the_wait_at_once():
    def broken():
        raise RuntimeError("the daemon exited")

    with pytest.raises(RuntimeError, match="daemon exited"):
        poll(broken, timeout=60, interval=1)

"""The shared wait helper: returns the first good value, fails naming what and the last value."""

from __future__ import annotations

import itertools

import pytest

from tests.polling import poll


def test_returns_the_first_value_that_satisfies_the_condition() -> None:
    counter = itertools.count()
    assert poll("the counter to reach 3", lambda: next(counter), until=lambda v: v >= 3,
                interval=0) == 3


def test_a_timeout_names_what_was_awaited_and_the_last_value() -> None:
    counter = itertools.count()
    with pytest.raises(AssertionError, match=r"waiting for the moon; last seen: \d+$"):
        poll("the moon", lambda: next(counter), until=lambda v: v < 0, timeout=0.05,
             interval=0.01)


def test_ignored_exceptions_mean_not_yet_and_are_reported() -> None:
    attempts = iter([OSError("busy"), OSError("busy"), "ready"])

    def check() -> str:
        item = next(attempts)
        if isinstance(item, Exception):
            raise item
        return item

    assert poll("the file", check, ignoring=(OSError,), interval=0) == "ready"
    def gone() -> str:
        raise OSError("gone")

    with pytest.raises(AssertionError, match=r"last seen: OSError: gone"):
        poll("the file", gone, ignoring=(OSError,), timeout=0.02, interval=0.01)
    with pytest.raises(ValueError):  # anything else is a real failure, raised at once
        poll("the file", lambda: int("x"), ignoring=(OSError,))


def test_big_values_are_shortened_with_their_size() -> None:
    with pytest.raises(AssertionError, match=r"\(20000 items\)") as caught:
        poll("all messages", lambda: list(range(20_000)), until=lambda v: len(v) > 20_000,
             timeout=0)
    assert len(str(caught.value)) < 300

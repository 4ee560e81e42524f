"""The one way tests wait: poll a condition until it holds, never sleep a guessed time.

A timeout fails with what was waited for and the last value seen, so a red run says how far
it got instead of only that it was slow.
"""

from __future__ import annotations

import reprlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 200
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxset = _SHORT.maxtuple = 6


def short_repr(value: Any) -> str:
    """A repr that stays readable for big values (a list of 20,000 messages)."""
    if isinstance(value, list | tuple | set | dict):
        return f"{_SHORT.repr(value)} ({len(value)} items)"
    return _SHORT.repr(value)


def poll(what: str, check: Callable[[], T], *, until: Callable[[T], object] = bool,
         timeout: float = 60.0, interval: float = 0.25,
         ignoring: tuple[type[BaseException], ...] = (),
         describe: Callable[[T], str] = short_repr) -> T:
    """Call `check()` until `until(value)` holds and return that value.

    Fails with AssertionError after `timeout` seconds, naming `what` and the last value (or
    ignored exception) seen. `ignoring` lists exceptions that mean "not yet" (a file being
    replaced, a server still starting). `interval` may be 0 when `check` blocks by itself
    (a Kafka consumer's poll).
    """
    deadline = time.monotonic() + timeout
    seen = ""
    while True:
        try:
            value = check()
        except ignoring as exc:
            seen = f"{type(exc).__name__}: {exc}"
        else:
            if until(value):
                return value
            seen = describe(value)
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}; "
                                 f"last seen: {seen}")
        if interval:
            time.sleep(min(interval, left))

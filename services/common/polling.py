"""The one way services wait: ask a condition again and again until it holds or time is up.

The caller says what it waited for when the answer is None: it knows the words (which
folder, which engine, which log to show). A check may raise to fail at once (a daemon that
exited will never become ready).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(check: Callable[[], T | None], *, timeout: float, interval: float,
         clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> T | None:
    """The first value of `check()` that is neither None nor False; None when `timeout`
    seconds pass first. `check` runs at least once, and once more at the deadline."""
    deadline = clock() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        left = deadline - clock()
        if left <= 0:
            return None
        sleep(min(interval, left))

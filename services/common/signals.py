"""SIGINT and SIGTERM as a request to stop, the same way in every service.

The handler raises nothing: it records the request, which the service checks where it can
stop in order (the producer between sends, the streaming job between waits, the demo in its
watch loop), and runs the owner's quick reaction. Ctrl-C and `docker stop` then end a run
alike. A signal again, `repeat_gap` seconds or more after the first, is the person insisting
(`timeout` and a terminal may deliver one stop twice at once): `repeated` is set and the
owner's reaction to it runs (the producer stops waiting for the broker, a Spark job exits).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
INTERRUPTED = 128 + signal.SIGINT  # the exit code of a run Ctrl-C cut short

Reaction = Callable[[str], None]  # called with the signal's name, inside the handler


class StopSignals:
    """A context manager that routes SIGINT and SIGTERM to `requested` (and `repeated`)
    while it is entered. Outside the main thread it installs nothing (signal handlers cannot
    be set there): whoever runs the service in a thread stops it by setting `requested`."""

    def __init__(self, on_first: Reaction | None = None, on_repeat: Reaction | None = None,
                 repeat_gap: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.requested = threading.Event()
        self.repeated = threading.Event()
        self.number: int | None = None
        self._on_first, self._on_repeat = on_first, on_repeat
        self._repeat_gap, self._clock = repeat_gap, clock
        self._first_at = 0.0
        self._previous: dict[int, Any] = {}

    @property
    def name(self) -> str | None:
        return None if self.number is None else signal.Signals(self.number).name

    @property
    def exit_code(self) -> int:
        """130 after SIGINT (Ctrl-C), by convention; 0 otherwise (SIGTERM is a normal stop,
        as `docker stop` sends it)."""
        return INTERRUPTED if self.number == signal.SIGINT else 0

    def handle(self, number: int, frame: FrameType | None = None) -> None:
        name = signal.Signals(number).name
        now = self._clock()
        if not self.requested.is_set():
            self.number, self._first_at = number, now
            self.requested.set()
            if self._on_first is not None:
                self._on_first(name)
        elif now - self._first_at >= self._repeat_gap and not self.repeated.is_set():
            self.repeated.set()
            if self._on_repeat is not None:
                self._on_repeat(name)

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self.handle) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    @classmethod
    def installed(cls) -> StopSignals | None:
        """The instance of this class that handles SIGINT in this process now, if any."""
        owner = getattr(signal.getsignal(signal.SIGINT), "__self__", None)
        return owner if isinstance(owner, cls) else None


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises KeyboardInterrupt as SIGINT does: for a run
    that unwinds cleanly from Ctrl-C anywhere (the generator's local engine: every temporary
    file is removed by a `finally`), so `kill` and `docker stop` end it the same way (and
    exit 130). Off the main thread, or where an owner handles SIGINT itself (a StopSignals
    of the demo, which runs the generator in its process), it installs nothing."""
    interrupt = signal.getsignal(signal.SIGINT)
    owned = callable(interrupt) and interrupt is not signal.default_int_handler
    if owned or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

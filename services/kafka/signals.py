"""SIGINT and SIGTERM as requests: the first stops sending (what was sent is still flushed
and counted), a second one stops waiting for the broker too."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

log = logging.getLogger("producer.signals")


@dataclass
class StopRequest:
    stop: threading.Event = field(default_factory=threading.Event)
    abort: threading.Event = field(default_factory=threading.Event)
    signal_number: int | None = None

    @property
    def exit_code(self) -> int:
        """130 after SIGINT (Ctrl-C), by convention; 0 otherwise (SIGTERM is a normal stop,
        as `docker stop` sends it)."""
        return 130 if self.signal_number == signal.SIGINT else 0

    def handle(self, number: int, frame: object = None) -> None:
        if self.stop.is_set():
            self.abort.set()
            log.warning("second %s: no longer waiting for the broker's confirmations",
                        signal.Signals(number).name)
            return
        self.signal_number = number
        self.stop.set()
        log.warning("%s: stopping; flushing what was sent (send it again to stop waiting)",
                    signal.Signals(number).name)


@contextlib.contextmanager
def stop_on_signals(request: StopRequest) -> Iterator[StopRequest]:
    """Route SIGINT and SIGTERM to `request` while the block runs (main thread only: signal
    handlers cannot be set elsewhere, and a producer run from a thread is stopped by its
    caller setting `request.stop`)."""
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = {number: signal.signal(number, request.handle)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)

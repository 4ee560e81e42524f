"""A bounded writer thread: the caller hands over items, a thread of its own consumes them.

Encoding, disk writes and uploads then overlap the caller's work (Arrow, file and socket
writes release the GIL), and a queue of a few items makes the caller wait, instead of piling
items up in memory, when the consumer falls behind.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

_END = object()


class BoundedWriter:
    """Runs `consume(items)` on a thread, `items` yielding what `write` hands over until
    `close`. An error in the thread is raised in the caller at its next write or at close;
    a consumer that stops early (an error, or done) has the rest drained, so the caller
    never blocks on it."""

    def __init__(self, consume: Callable[[Iterator[Any]], None], depth: int = 3,
                 name: str = "writer") -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.ended = False  # the consumer has seen the end of the items
        self.thread = threading.Thread(target=self._run, args=(consume,), name=name,
                                       daemon=True)
        self.thread.start()

    def _items(self) -> Iterator[Any]:
        while (item := self.queue.get()) is not _END:
            yield item
        self.ended = True

    def _run(self, consume: Callable[[Iterator[Any]], None]) -> None:
        try:
            consume(self._items())
        except BaseException as exc:  # re-raised in the caller's thread
            self.error = exc
        while not self.ended and self.queue.get() is not _END:  # keep the caller unblocked
            pass

    def write(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def close(self) -> None:
        """Wait until every item is consumed; raise the consumer's error, if any."""
        self.queue.put(_END)
        self.thread.join()
        if self.error is not None:
            raise self.error

"""A one-line progress bar on a terminal; silent when output is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, total: int, label: str = "rows", stream: TextIO | None = None,
                 enabled: bool | None = None, min_interval: float = 0.2):
        stream = sys.stderr if stream is None else stream  # today's, not the one at import
        self.total, self.label, self.stream = total, label, stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.done = 0
        self.started = time.perf_counter()
        self.min_interval = min_interval
        self._last = 0.0

    def __call__(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if self.enabled and (now - self._last >= self.min_interval or self.done >= self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(share * 30)
        rate = self.done / max(now - self.started, 1e-9)
        self.stream.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {share:6.1%} "
                          f"{self.done:,}/{self.total:,} {self.label} ({rate:,.0f}/s)")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\n")
            self.stream.flush()

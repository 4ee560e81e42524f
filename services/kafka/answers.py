"""The expected answer of a run, kept as it sends (--expect DIR): what each slice sent is
counted into an AnswerBook, and the answer is rewritten every few seconds and at the end,
so a dashboard can check the windows that have closed while the run goes on."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from services.kafka.chunks import Chunk
from services.kafka.faulting import DUPLICATE, LATE, ON_TIME, POISON, TOO_LATE
from services.schema import FaultSpec
from services.streamcheck import AnswerBook, write_answer

log = logging.getLogger("producer.expect")
WRITE_EVERY = 5.0


class Recorder:
    def __init__(self, book: AnswerBook, directory: Path, spec: FaultSpec,
                 clock=time.monotonic) -> None:
        self.book, self.directory, self.spec = book, directory, spec
        self.clock = clock
        self.written = clock()

    def record(self, chunk: Chunk, start: int, stop: int, now_s: int) -> None:
        """Count items start..stop of the chunk, sent at `now_s`."""
        items = chunk.items(start, stop)
        rows = np.arange(start, stop) if isinstance(items, slice) else items
        if chunk.plan is None:
            kinds = np.zeros(len(rows), dtype=np.int8)
            out_of_order = 0
            malformed: dict[str, int] = {}
        else:
            kinds = chunk.plan.kinds[start:stop]
            out_of_order = int(chunk.plan.out_of_order[start:stop].sum())
            which = chunk.plan.poisons[start:stop][kinds == POISON]
            counts = np.bincount(which, minlength=len(self.spec.malformed_kinds))
            malformed = {kind: int(n) for kind, n in zip(self.spec.malformed_kinds, counts,
                                                         strict=True) if n}
        real = (kinds == ON_TIME) | (kinds == LATE) | (kinds == TOO_LATE)
        facts = chunk.events.facts
        if facts is not None:
            self.book.events(facts.take(rows[real]), kinds[real] == TOO_LATE, now_s * 1000)
        timed = chunk.timed is not None and chunk.send_ms is not None and bool(chunk.timed.any())
        newest = int(chunk.send_ms[stop - 1]) if timed else now_s * 1000
        self.book.messages(sent=len(rows), events=int(real.sum()),
                           duplicates=int((kinds == DUPLICATE).sum()),
                           late=int((kinds == LATE).sum()), too_late=int((kinds == TOO_LATE).sum()),
                           out_of_order=out_of_order, malformed=malformed, newest_ms=newest)
        if self.clock() - self.written >= WRITE_EVERY:
            try:
                self.write()
            except OSError as exc:
                log.warning("cannot write the expected answer to %s: %s", self.directory, exc)

    def write(self, final: bool = False) -> None:
        """Write the answer (OSError if it cannot be); `final` once the run has ended:
        nothing more will be sent, so every window is final, however the run stopped."""
        self.written = self.clock()
        pending = None if final else self.spec.longest_delay_s * 1000
        write_answer(self.directory, self.book.answer(pending))

"""A chunk: rendered events and the order to send them in, with the fault plan if any.

A source (replay, live) gives chunks with their ordering keys; the faulter replaces the
order with its plan's send sequence, where -1 marks a poison message. `render_items` turns
a stretch of that sequence into keys and values: the events through `events.render`, the
poison messages made from the event before them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from services.kafka.events import Events, pick, render
from services.kafka.faulting import Plan, plan
from services.kafka.poisons import PoisonShape, make_poison
from services.kafka.wire import WireFormat
from services.schema import FaultSpec

FALLBACK_TEMPLATE = b'{"event_time":"1970-01-01T00:00:00"}'


@dataclass(frozen=True)
class Chunk:
    """Rows of `events` to send in this order (None: all, in their own order)."""

    events: Events
    rows: np.ndarray | None = None
    send_ms: np.ndarray | None = None  # per item: its ordering key (ms), ascending
    timed: np.ndarray | None = None  # per row of events: it has its own event time
    plan: Plan | None = None
    index: int = 0  # the chunk's place in the run (poison keys name it)
    templates: np.ndarray | None = None  # per item with a plan: the row a poison copies
    places: np.ndarray | None = None  # per item: its place in the plan (None: as sent)
    encoded: pa.Array | None = None  # per row of events: its wire-format message, made ahead

    @property
    def size(self) -> int:
        return self.events.size if self.rows is None else len(self.rows)

    def items(self, start: int, stop: int) -> slice | np.ndarray:
        return slice(start, stop) if self.rows is None else self.rows[start:stop]

    def with_plan(self, plan: Plan, index: int) -> Chunk:
        """The chunk sent as `plan` says (its rows index this chunk's own order)."""
        own = np.arange(self.events.size) if self.rows is None else self.rows
        rows = np.where(plan.rows >= 0, own[np.maximum(plan.rows, 0)], -1)
        at = plan.templates()
        templates = np.where(at >= 0, rows[np.maximum(at, 0)], -1) if len(at) else at
        return replace(self, rows=rows, send_ms=plan.send_ms, plan=plan, index=index,
                       templates=templates)

    def subset(self, keep: np.ndarray) -> Chunk:
        """The items where `keep` is true, each still made as in the whole plan (a poison
        keeps its key and the event it copies)."""
        rows = np.arange(self.events.size) if self.rows is None else self.rows
        places = np.arange(self.size) if self.places is None else self.places
        return replace(
            self, rows=rows[keep], places=places[keep],
            send_ms=None if self.send_ms is None else self.send_ms[keep],
            plan=None if self.plan is None else self.plan.subset(keep),
            templates=None if self.templates is None else self.templates[keep])


def render_items(chunk: Chunk, start: int, stop: int, now_s: int, shape: PoisonShape,
                 kinds: tuple[str, ...], wire: WireFormat | None = None,
                 ) -> tuple[list[bytes | None] | None, list[bytes]]:
    """Keys and values of items start..stop of the chunk's send sequence, as JSON or, with
    `wire`, in its wire format."""
    items = chunk.items(start, stop)
    poison_at = np.flatnonzero(items < 0) if chunk.plan is not None else ()
    if not len(poison_at):
        return _events(chunk, items, now_s, wire)
    real_rows = items[items >= 0]
    assert chunk.templates is not None and chunk.plan is not None
    copied = chunk.templates[start:stop][poison_at]  # -1: a plan without events
    keys, rendered = render(chunk.events, np.concatenate([real_rows, copied[copied >= 0]]),
                            now_s)
    values = list(rendered[:len(real_rows)])
    if wire is not None:
        values = _events(chunk, real_rows, now_s, wire)[1]
    made = iter(rendered[len(real_rows):])
    keys = list(keys[:len(real_rows)]) if keys is not None else [None] * len(values)
    which = chunk.plan.poisons[start:stop]
    places = np.arange(start, stop) if chunk.places is None else chunk.places[start:stop]
    for at, row in zip(poison_at.tolist(), copied.tolist(), strict=True):  # ascending
        template = next(made) if row >= 0 else FALLBACK_TEMPLATE
        poison = make_poison(kinds[which[at]], template, shape)
        values.insert(at, poison if wire is None else wire.poison(poison))
        keys.insert(at, f"poison:{chunk.index}:{places[at]}".encode())
    return keys, values


def _events(chunk: Chunk, rows: slice | np.ndarray, now_s: int, wire: WireFormat | None
            ) -> tuple[list[bytes | None] | None, list[bytes]]:
    """Keys and values of these rows of events: JSON, or their wire-format messages (made
    ahead when the chunk has them, else now)."""
    if wire is None or chunk.encoded is None:
        keys, values = render(chunk.events, rows, now_s)
        return keys, values if wire is None else wire.encode(values)
    keys = None if chunk.events.keys is None else pick(chunk.events.keys, rows).to_pylist()
    return keys, pick(chunk.encoded, rows).to_pylist()


def faulted(chunks: Iterable[Chunk], spec: FaultSpec, seed: int,
            ms_per_event: float) -> Iterator[Chunk]:
    """The chunks sent as the spec's plan says. Chunks without ordering keys (live events
    stamped when sent) are keyed by when the rate schedule sends them, `ms_per_event`
    apart, so a duplicate's delay is still a time."""
    sent = 0
    for index, chunk in enumerate(chunks):
        size = chunk.size
        own = np.arange(chunk.events.size) if chunk.rows is None else chunk.rows
        if chunk.send_ms is not None:
            keys = chunk.send_ms
        else:
            keys = np.round((sent + np.arange(size)) * ms_per_event).astype(np.int64)
        timed = (chunk.timed[own] if chunk.timed is not None
                 else np.ones(size, dtype=bool))
        yield chunk.with_plan(plan(keys, timed, spec, seed, index), index)
        sent += size

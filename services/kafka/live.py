"""Live mode: fresh records from the schema engine, rendered by the engine's own functions.

Now (no time scale): blocks of the engine (65,536 rows, generated when the previous one is
used up) are sent at the target rate; the schema's timestamp field, in its own format, and
`event_time` (ISO-8601 UTC) are the send time.

Scaled (--time-scale K): the schema's time window is replayed K times faster than real
time. Window w (w = 0, 1, ...) holds entity_count fresh records (seed + w), sorted by their
timestamp; a record at window start + d is stamped run start + w x span + d (span = the
window's length) and sent when the scaled clock, which starts at the run start and runs K
times faster than the wall clock, reaches that stamp. Event time therefore moves K times
faster than real time from the moment the run starts, in order, so the watermark and
windows downstream advance exactly as in a live stream sped up K times. A lifecycle is
sent this way only: its rows are apart by their delays, in event time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import concat
from services.extracts import SECONDS
from services.generator import (
    entity_tables,
    faker_pools,
    generate_table,
    json_values,
    make_block,
    text,
)
from services.kafka.chunks import Chunk
from services.kafka.events import Events, Part, Slot, assemble, cached_stamp, iso_now
from services.kafka.timestamps import EVENT_TIME, iso_ms
from services.schema import Dataset, Field
from services.streamcheck import StreamShape, event_facts

log = logging.getLogger("producer.live")

ENDLESS = 2**62  # the row count live blocks are drawn from: ids keep growing, never wrap


def window_span_s(dataset: Dataset) -> int:
    window = dataset.time_window
    return int((window.end - window.start).total_seconds()) + 1


def window_start_s(dataset: Dataset) -> int:
    return int(dataset.time_window.start.replace(tzinfo=timezone.utc).timestamp())


def entity_seed_of(dataset: Dataset, given: int | None, drawn: int) -> int:
    """The seed of the live run's entities: --seed when given, else the schema's seed, so
    that live records refer to the cards (say) of an extract generated with the same seed
    or the file's; only a file without a seed and a run without one draws new entities."""
    if given is not None:
        return given
    return drawn if dataset.seed is None else dataset.seed


class LiveSource:
    """Chunks of generated events; see the module docstring for the two clocks."""

    def __init__(self, dataset: Dataset, seed: int, key_field: str | None,
                 time_scale: float | None = None, entity_seed: int | None = None,
                 shape: StreamShape | None = None) -> None:
        if dataset.lifecycle is not None and time_scale is None:
            raise ValueError(f"entities.{dataset.lifecycle.entity}.lifecycle: its rows are "
                             "apart by their delays in event time, which only --time-scale K "
                             "replays (K times faster); or generate an extract and replay it")
        self.dataset = dataset
        self.seed = seed
        # One set of entities for the whole run (every scaled window shares it), from the
        # seed the generator would use for them: see entity_seed_of.
        self.entities = entity_tables(dataset, seed if entity_seed is None else entity_seed)
        self.time_scale = time_scale
        self.ts_field = dataset.analysis.timestamp_field
        self.key_field = key_field
        self.shape = shape  # with it, events carry what they add to the expected answer
        names = dataset.names
        if key_field is not None and key_field not in names:
            raise ValueError(f"key field {key_field!r} is not a field of the schema; fields: "
                             f"{', '.join(names)}")
        if time_scale is not None and self.ts_field is None:
            raise ValueError("--time-scale needs a datetime field in the schema "
                             "(analysis.timestamp_field)")

    def chunks(self, start_s: int = 0) -> Iterator[Chunk]:
        """Endless chunks; `start_s` (epoch seconds) is where scaled event times begin."""
        return self._scaled(start_s) if self.time_scale is not None else self._now()

    # --- now: stamped at send time ------------------------------------------------------
    def _now(self) -> Iterator[Chunk]:
        pools = faker_pools(self.dataset, self.seed)
        index = 0
        while True:
            block = make_block(self.dataset, self.seed, ENDLESS, index, pools, self.entities)
            prefix = "" if self.key_field else f"{self.seed}:{index}:"
            events = self._events(block.columns, block.size, prefix, None)
            yield Chunk(events, timed=np.zeros(block.size, dtype=bool), index=index)
            index += 1

    # --- scaled: a historical window after another -------------------------------------
    def _scaled(self, start_s: int) -> Iterator[Chunk]:
        span = window_span_s(self.dataset)
        first = window_start_s(self.dataset)
        window = 0
        while True:
            table = self._window_table(window)
            seconds = table[self.ts_field].cast(pa.int64()).to_numpy()
            shifted = seconds - first + start_s + window * span
            at_ms = shifted * 1000
            known = pa.array(shifted, pa.int64()).cast(SECONDS)
            columns = dict(zip(table.column_names, table.columns, strict=True))
            prefix = f"{window}:" if self.key_field else f"{self.seed}:{window}:"
            events = self._events(columns, table.num_rows, prefix, known)
            yield Chunk(events, send_ms=at_ms, timed=np.ones(table.num_rows, dtype=bool),
                        index=window)
            window += 1

    def _window_table(self, window: int) -> pa.Table:
        """One window's records sorted by time; records without a time have nothing to
        replay and are left out. A lifecycle's rows all fall inside the window too (its end
        cuts an episode: docs/SCHEMA_FORMAT.md), so windows never overlap in time."""
        seed = (self.seed + window) % 2**63
        table = generate_table(self.dataset, seed, entities=self.entities).combine_chunks()
        if not table.num_rows:
            raise ValueError("the schema's entity_count is 0: a window has nothing to replay")
        table = table.filter(pc.is_valid(table[self.ts_field]))
        return table.take(pc.sort_indices(table[self.ts_field]))

    # --- rendering ----------------------------------------------------------------------
    def _events(self, columns: dict, size: int, id_prefix: str,
                known: pa.Array | None) -> Events:
        """Rendered events; `known`: their stamps in scaled mode (None: the send time).
        Event ids: `id_prefix` + the key field's value, or + the row's place; scaled
        windows repeat a schema's id sequence, so their prefix names the window."""
        parts: list[Part] = []
        slots: list[Slot] = []
        for field in self.dataset.fields:
            values = _array(columns[field.name])
            if field.name == self.ts_field:
                parts.append(Part(field.name, None))
                slots.append(Slot(_field_stamp(field),
                                  None if known is None else json_values(field, known)))
            elif field.name == EVENT_TIME:
                parts.append(Part(field.name, None))
                slots.append(Slot(iso_now, _iso_known(known)))
            else:
                parts.append(Part(field.name, json_values(field, values)))
        if EVENT_TIME not in self.dataset.names:
            parts.append(Part(EVENT_TIME, None))
            slots.append(Slot(iso_now, _iso_known(known)))
        ids = pa.array(np.arange(size)).cast(pa.string())
        if self.key_field is not None:
            field = self.dataset.field(self.key_field)
            values = text(field, _array(columns[field.name]))
            ids = pc.if_else(pc.is_valid(values), values, concat("row ", ids))
        keys = concat(id_prefix, ids).cast(pa.binary())
        facts = None
        if self.shape is not None:
            texts = {f.name: text(f, _array(columns[f.name])) for f in self.dataset.fields}
            time_ms = (np.zeros(size, np.int64) if known is None
                       else known.cast(pa.int64()).to_numpy() * 1000)
            facts = event_facts(texts, size, time_ms, np.full(size, known is None),
                                self.dataset, self.shape)
        return assemble(parts, slots, keys, size, facts)


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column


def _iso_known(known: pa.Array | None) -> pa.Array | None:
    if known is None:
        return None
    return concat('"', iso_ms(known.cast(pa.int64()).to_numpy() * 1000), '"')


def _field_stamp(field: Field):
    """The send time in the timestamp field's own format (iso, epoch or strftime)."""

    @cached_stamp
    def stamp(now_s: int) -> str:
        return json_values(field, pa.array([now_s], pa.int64()).cast(SECONDS))[0].as_py()

    return stamp

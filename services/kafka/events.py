"""Events rendered ahead of sending, and the last step to bytes.

Every payload is a JSON object whose values are known before sending except the ones
stamped with the send time (`slots`): event_time of rows without a time, and in live mode
the schema's timestamp field. So rows are rendered in advance, column at a time, into the
text before, between and after those slots (`segments`), and sending a slice of rows only
joins the segments with the stamp and hands out bytes: a few Arrow kernels per slice,
nothing per row in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import concat
from services.streamcheck import Facts, concat_facts

Column = pa.ChunkedArray | pa.Array
Segment = Column | str  # a literal when it is the same in every row
Rows = slice | np.ndarray


@dataclass(frozen=True)
class Part:
    """One key of the payload: its JSON fragments, or None for a send-time slot."""

    name: str
    fragment: Column | None
    absent: Column | None = None


@dataclass(frozen=True)
class Slot:
    """A value stamped at send time where `known` (JSON fragments) is null or missing."""

    stamp: Callable[[int], str]  # send time, epoch seconds -> JSON fragment
    known: Column | None = None


@dataclass(frozen=True)
class Events:
    """`size` payloads: segments[0] + slot 0 + segments[1] + ... ; keys are bytes or null."""

    segments: tuple[Segment, ...]
    slots: tuple[Slot, ...]
    keys: Column | None
    size: int
    facts: Facts | None = field(default=None, compare=False)  # for the expected answer


def key_prefix(name: str, first: bool) -> str:
    return ("" if first else ",") + json.dumps(name, ensure_ascii=False) + ":"


def assemble(parts: Sequence[Part], slots: Sequence[Slot], keys: Column | None,
             size: int, facts: Facts | None = None) -> Events:
    """Join the parts around the slots, column at a time. Parts that may be absent (JSONL
    keys missing in some rows) carry their own comma, so the first present key's comma is
    cut from each row instead."""
    if sum(p.fragment is None for p in parts) != len(slots):
        raise ValueError("one slot per part without fragments")
    optional = any(p.absent is not None for p in parts)
    groups: list[list[Segment]] = [[]]
    for index, part in enumerate(parts):
        prefix = key_prefix(part.name, first=index == 0 and not optional)
        if part.fragment is None:
            groups[-1].append(prefix)
            groups.append([])
        elif part.absent is None:
            groups[-1] += [prefix, part.fragment]
        else:
            groups[-1].append(pc.if_else(part.absent, "", concat(prefix, part.fragment)))
    groups[-1].append("}")
    segments = [_join(group) for group in groups]
    first = segments[0]
    if optional:
        first = "{" + first.removeprefix(",") if isinstance(first, str) else \
            concat("{", pc.replace_substring_regex(first, "^,", ""))
    else:
        first = "{" + first if isinstance(first, str) else concat("{", first)
    return Events((first, *segments[1:]), tuple(slots), keys, size, facts)


def _join(group: list[Segment]) -> Segment:
    if all(isinstance(item, str) for item in group):
        return "".join(group)  # type: ignore[arg-type]
    merged: list[Segment] = []
    for item in group:  # adjacent literals joined once here, not per slice
        if isinstance(item, str) and merged and isinstance(merged[-1], str):
            merged[-1] += item
        else:
            merged.append(item)
    return concat(*merged)


def pick(column: Segment, rows: Rows) -> Segment:
    if isinstance(column, str):
        return column
    if isinstance(rows, slice):
        return column.slice(rows.start, rows.stop - rows.start)
    if isinstance(column, pa.ChunkedArray) and column.num_chunks > 1:
        return take_scattered(column, rows)
    return column.take(rows)


def take_scattered(column: pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """`column.take(rows)` chunk by chunk. Arrow's own take on a chunked column joins all
    its chunks first, on every call: a copy of every payload per slice of a replay."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = np.cumsum([0] + [len(chunk) for chunk in column.chunks])
    chunk_of = np.searchsorted(starts, rows, side="right") - 1
    by_chunk = np.argsort(chunk_of, kind="stable")
    sorted_rows, sorted_chunks = rows[by_chunk], chunk_of[by_chunk]
    bounds = np.searchsorted(sorted_chunks, np.arange(column.num_chunks + 1))
    pieces = [column.chunk(c).take(sorted_rows[bounds[c]:bounds[c + 1]] - starts[c])
              for c in range(column.num_chunks) if bounds[c + 1] > bounds[c]]
    grouped = pa.concat_arrays(pieces) if pieces else pa.array([], column.type)
    back = np.empty_like(by_chunk)
    back[by_chunk] = np.arange(len(rows))
    return grouped.take(back)


def render(events: Events, rows: Rows, now_s: int) -> tuple[list[bytes | None] | None,
                                                            list[bytes]]:
    """(keys, values) of the rows, stamped with `now_s` (epoch seconds, UTC)."""
    count = rows.stop - rows.start if isinstance(rows, slice) else len(rows)
    parts: list[Segment] = []
    for index, segment in enumerate(events.segments):
        parts.append(pick(segment, rows))
        if index < len(events.slots):
            slot = events.slots[index]
            stamp = slot.stamp(now_s)
            parts.append(stamp if slot.known is None else
                         pc.fill_null(pick(slot.known, rows), stamp))
    if all(isinstance(p, str) for p in parts):
        values = ["".join(parts).encode()] * count  # type: ignore[arg-type]
    else:
        values = pc.binary_join_element_wise(*parts, "").cast(pa.binary()).to_pylist()
    keys = None if events.keys is None else pick(events.keys, rows).to_pylist()
    return keys, values


def payload_bytes(events: Events, now_s: int = 0) -> np.ndarray:
    """The size of each payload in bytes (a stamp counted at its length for `now_s`)."""
    sizes = np.zeros(events.size, dtype=np.int64)
    for segment in events.segments:
        sizes += _byte_lengths(segment)
    for slot in events.slots:
        stamp = len(slot.stamp(now_s).encode())
        sizes += stamp if slot.known is None else _byte_lengths(slot.known, stamp)
    return sizes


def _byte_lengths(segment: Segment, null: int = 0) -> np.ndarray | int:
    if isinstance(segment, str):
        return len(segment.encode())
    lengths = pc.fill_null(pc.binary_length(segment), null)
    if isinstance(lengths, pa.ChunkedArray):
        lengths = lengths.combine_chunks()
    return lengths.to_numpy(zero_copy_only=False).astype(np.int64)


def concat_events(items: Sequence[Events]) -> Events:
    """One Events of several with the same layout (the extracts of one replay)."""
    if len(items) == 1:
        return items[0]
    shapes = {(len(e.segments), len(e.slots)) for e in items}
    if len(shapes) != 1:
        raise ValueError("events of different layouts cannot be concatenated")
    segments = tuple(_concat_segment([e.segments[i] for e in items], [e.size for e in items])
                     for i in range(len(items[0].segments)))
    slots = []
    for i, slot in enumerate(items[0].slots):
        knowns = [e.slots[i].known for e in items]
        if all(k is None for k in knowns):
            slots.append(slot)
        else:
            filled = [k if k is not None else pa.nulls(e.size, pa.string())
                      for k, e in zip(knowns, items, strict=True)]
            slots.append(Slot(slot.stamp, _chunked(filled)))
    has_keys = any(e.keys is not None for e in items)
    keys = _chunked([e.keys if e.keys is not None else pa.nulls(e.size, pa.binary())
                     for e in items]) if has_keys else None
    facts = concat_facts([e.facts for e in items]) if all(
        e.facts is not None for e in items) else None
    return Events(segments, tuple(slots), keys, sum(e.size for e in items), facts)


def _concat_segment(segments: list[Segment], sizes: list[int]) -> Segment:
    if all(isinstance(s, str) for s in segments) and len(set(segments)) == 1:
        return segments[0]
    return _chunked([pa.repeat(s, n) if isinstance(s, str) else s
                     for s, n in zip(segments, sizes, strict=True)])


def _chunked(columns: list[Column]) -> pa.ChunkedArray:
    chunks = []
    for column in columns:
        chunks += column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    return pa.chunked_array(chunks, type=chunks[0].type if chunks else pa.string())


def cached_stamp(fragment: Callable[[int], str]) -> Callable[[int], str]:
    """Cache a stamp per second: many slices share one."""
    return lru_cache(maxsize=4)(fragment)


@cached_stamp
def iso_now(now_s: int) -> str:
    """The send time as event_time's JSON fragment: "YYYY-MM-DDTHH:MM:SS" (UTC)."""
    return datetime.fromtimestamp(now_s, timezone.utc).strftime('"%Y-%m-%dT%H:%M:%S"')

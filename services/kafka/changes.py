"""Replaying a change file (the generator's --cdc): each envelope goes out as it is in the
file, byte for byte, keyed by its row's key (`after`'s, or `before`'s on a delete) so that a
partition keeps every row's changes in order, and paced by its `ts_ms` as other events are
by their event time.

An extract is a change file when its first line is a Debezium envelope (an object with the
keys `before`, `after`, `op`, `ts_ms` and `source`; Debezium may add `transaction`); the
JSONL reader would flatten its nested rows, so it is read here instead: the lines kept as
text, and Arrow's JSON reader used only for `ts_ms` and the keys. Its events have the
layout of any extract's (services.kafka.events): the line, then a send-time slot that is
known and empty, so a change file and other extracts replay together.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pjson

from services.extracts import BadRow, ExtractError
from services.kafka.events import Events, Slot, iso_now
from services.schema import MAX_EVENT_BYTES

ENVELOPE = {"before", "after", "op", "ts_ms", "source"}


def _data(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def is_change_file(path: Path) -> bool:
    """Whether the file's first line is a change envelope (a cheap look: one line)."""
    if not path.name.removesuffix(".gz").endswith(".jsonl"):
        return False
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            first = json.loads(handle.readline() or b"null")
    except (OSError, EOFError, ValueError):
        return False
    return isinstance(first, dict) and set(first) >= ENVELOPE


def load_changes(path: Path, key_field: str | None,
                 ) -> tuple[Events, np.ndarray, np.ndarray, list[BadRow]]:
    """The file's envelopes as events (payload: the line), their ts_ms, whether each has
    its time (all do), and the lines skipped (over the event size limit)."""
    if not key_field:
        raise ExtractError(f"{path}: a change file is keyed by its rows' key: give "
                           "--key-field (or a schema whose lifecycle has \"changes\")")
    data = _data(path)
    image = pa.struct([(key_field, _key_type(path, data, key_field))])  # the rest stays text
    wanted = pa.schema([("ts_ms", pa.int64()), ("after", image), ("before", image)])
    try:
        table = pjson.read_json(pa.py_buffer(data), parse_options=pjson.ParseOptions(
            explicit_schema=wanted, unexpected_field_behavior="ignore"))
    except pa.ArrowInvalid as exc:
        raise ExtractError(f"{path}: not readable as change envelopes ({exc})") from None
    lines = pa.array(data.split(b"\n")[:table.num_rows], pa.binary())
    keys = _keys(path, table, key_field)
    ms = np.asarray(table.column("ts_ms").cast(pa.int64()).fill_null(0))
    sizes = np.asarray(pc.binary_length(lines))
    big = sizes > MAX_EVENT_BYTES
    bad = [BadRow(path, int(i) + 1, f"its event would be over the {MAX_EVENT_BYTES:,}-byte "
                  "limit of an event") for i in np.flatnonzero(big)]
    if big.any():
        keep = pa.array(~big)
        lines, keys, ms = lines.filter(keep), keys.filter(keep), ms[~big]
    text = lines.cast(pa.string())
    events = Events((text, ""), (Slot(iso_now, pa.repeat("", len(text))),), keys, len(text))
    return events, ms, np.ones(len(text), dtype=bool), bad


def _key_type(path: Path, data: bytes, key_field: str) -> pa.DataType:
    """The key's type in the first envelope (a uuid's text, an id_sequence's number)."""
    end = data.find(b"\n")
    first = json.loads(data[:end if end >= 0 else len(data)] or b"null")
    row = (first or {}).get("after") or (first or {}).get("before") or {}
    value = row.get(key_field) if isinstance(row, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ExtractError(f"{path}:1: the envelope's row has no {key_field!r} (a text or a "
                           "number) to key it by; give --key-field")
    return pa.string() if isinstance(value, str) else \
        pa.int64() if isinstance(value, int) else pa.float64()


def _keys(path: Path, table: pa.Table, key_field: str) -> pa.Array:
    """Each envelope's row key as text: `after`'s, else (a delete) `before`'s."""
    keys = pc.coalesce(*(pc.struct_field(table.column(image), key_field)
                         for image in ("after", "before"))).combine_chunks()
    if keys.null_count:
        line = int(np.flatnonzero(np.asarray(keys.is_null()))[0]) + 1
        raise ExtractError(f"{path}:{line}: the envelope has no {key_field!r} in before or "
                           "after")
    return keys.cast(pa.string()).cast(pa.binary())

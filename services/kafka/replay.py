"""Replay: extracts -> events in event-time order (or shuffled), pass after pass.

Each file is read into columns, its event times normalised and its rows rendered; the files'
rows are then put in event-time order by one stable sort on the epoch-millisecond keys,
which is a merge of the files that keeps ties in file and line order. Rows stamped at send
time keep their place after the row before them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import concat
from services.extracts import BadRow, ExtractError, ExtractRows, extract_batches
from services.kafka.changes import is_change_file, load_changes
from services.kafka.chunks import Chunk
from services.kafka.events import (
    Events,
    Part,
    Slot,
    assemble,
    concat_events,
    iso_now,
    payload_bytes,
)
from services.kafka.fragments import fragments
from services.kafka.timestamps import EVENT_TIME, candidates, event_times, iso_ms
from services.schema import MAX_EVENT_BYTES, Dataset, DatetimeField
from services.streamcheck import StreamShape, event_facts

log = logging.getLogger("producer.replay")
BAD_ROWS_LOGGED = 20  # per file; the rest are counted and summarised


def log_bad_rows(path: Path, bad: list[BadRow]) -> None:
    for row in bad[:BAD_ROWS_LOGGED]:
        log.warning("skipped %s", row)
    if len(bad) > BAD_ROWS_LOGGED:
        log.warning("skipped %d more bad rows in %s", len(bad) - BAD_ROWS_LOGGED, path)


@dataclass(frozen=True)
class Replay:
    events: Events
    sort_ms: np.ndarray  # the ordering key of each row
    timed: np.ndarray  # whether the row has its own event time (else stamped when sent)
    files: tuple[Path, ...]
    bad_rows: int
    bad_files: int

    def order(self, shuffle: bool, rng: np.random.Generator) -> np.ndarray:
        if shuffle:
            return rng.permutation(self.events.size)
        return np.argsort(self.sort_ms, kind="stable")

    def passes(self, shuffle: bool, loop: bool, rng: np.random.Generator) -> Iterator[Chunk]:
        """One chunk per pass over every row: once, or forever with --loop (reshuffled each
        pass with --shuffle)."""
        order = self.order(shuffle, rng)
        while True:
            yield Chunk(self.events, order, self.sort_ms[order], self.timed)
            if not loop:
                return
            if shuffle:
                order = self.order(shuffle, rng)


class Normaliser:
    """What the schema says about a replayed row: its timestamp field, formats, types, and
    what a row adds to the expected answer (with `shape`)."""

    def __init__(self, dataset: Dataset | None, key_field: str | None,
                 shape: StreamShape | None = None) -> None:
        self.dataset = dataset
        self.timestamp_field = dataset.analysis.timestamp_field if dataset else None
        self.formats = {f.name: f.renders_as.format for f in dataset.fields
                        if isinstance(f.renders_as, DatetimeField)} if dataset else {}
        self.kinds = {f.name: f.value_kind for f in dataset.fields} if dataset else {}
        self.key_field = key_field
        self.shape = shape
        self.root: Path | None = None  # file ids are relative to it
        self._warned: set[Path] = set()
        self._timed_files: set[Path] = set()  # files that have shown a time column

    def prepare(self, extract: ExtractRows,
                previous: int | None = None) -> tuple[Events, np.ndarray, np.ndarray]:
        """Render a batch of rows; returns them with their ordering keys (`previous`: the
        key of the row before the batch) and whether each has its own time. Bad rows are
        dropped (and reported) first: an event time that does not parse, and a blank one
        in a file that has a time column (only a file without one is stamped when sent)."""
        order = candidates(extract.names, self.timestamp_field)
        if order:
            self._timed_files.add(extract.path)
        texts = {name: extract.columns[name].text for name in order}
        times = event_times(texts, order, extract.num_rows, self.formats)
        ms, missing = times.ms, times.missing
        bad = times.bad
        if extract.path in self._timed_files and missing.any():
            # A file with a time column: a blank time is bad, never the send time.
            extract.drop(np.flatnonzero(missing), f"no event time: {blank_names(order)}")
            keep = ~missing
            ms, bad, missing = ms[keep], bad[keep], missing[keep]
        if bad.any():
            extract.drop(np.flatnonzero(bad), "its event time does not parse as a date and time")
            ms, missing = ms[~bad], missing[~bad]
        known = _quoted(iso_ms(ms))
        if missing.any():
            known = pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), known)
        parts = [Part(name, None) if name == EVENT_TIME else
                 Part(name, fragments(column, self.kinds.get(name)), column.absent)
                 for name, column in extract.columns.items()]
        if EVENT_TIME not in extract.columns:
            parts.append(Part(EVENT_TIME, None))
        events = assemble(parts, [Slot(iso_now, known)], self._keys(extract),
                          extract.num_rows)
        sizes = payload_bytes(events)
        if (sizes > MAX_EVENT_BYTES).any():  # never sent: a pipeline would refuse it
            extract.drop(np.flatnonzero(sizes > MAX_EVENT_BYTES), f"its event would be over "
                         f"the {MAX_EVENT_BYTES:,}-byte limit of an event")
            return self.prepare(extract, previous)
        if self.shape is not None:
            texts = {name: column.text for name, column in extract.columns.items()}
            events = replace(events, facts=event_facts(texts, extract.num_rows, ms, missing,
                                                       self.dataset, self.shape))
        return events, _sort_keys(ms, missing, previous), ~missing

    def _keys(self, extract: ExtractRows) -> pa.Array:
        """Event ids: the key field's value, else (no such column, or blank) `<file>:<line>`,
        the file named relative to the replay's common folder."""
        lines = extract.lines_of(np.arange(extract.num_rows))
        name = (extract.path.resolve().relative_to(self.root) if self.root
                else extract.path.name)
        ids = concat(f"{name}:", pa.array(lines).cast(pa.string()))
        column = extract.columns.get(self.key_field) if self.key_field else None
        if column is None and self.key_field and extract.path not in self._warned:
            self._warned.add(extract.path)
            log.warning("%s has no column %r: its events are keyed by file and line instead",
                        extract.path, self.key_field)
        if column is not None:
            given = pc.fill_null(pc.not_equal(column.text, ""), False)
            ids = pc.if_else(given, column.text, ids)
        return ids.cast(pa.binary())


def blank_names(names: list[str]) -> str:
    """`order_time is blank` / `order_ts and event_time are blank`."""
    if len(names) == 1:
        return f"{names[0]} is blank"
    return f"{', '.join(names[:-1])} and {names[-1]} are blank"


def _quoted(text: pa.Array) -> pa.Array:
    return concat('"', text, '"')


def _sort_keys(ms: np.ndarray, missing: np.ndarray, previous: int | None) -> np.ndarray:
    """Event times, where rows without one take the time of the row before them (`previous`
    for the first rows of a batch; else the first time after them, or the lowest key when
    the file has no times at all)."""
    if not missing.any():
        return ms
    if missing.all():
        fill = previous if previous is not None else np.iinfo(np.int64).min
        return np.full(len(ms), fill, dtype=np.int64)
    index = np.where(missing, 0, np.arange(len(ms)))
    np.maximum.accumulate(index, out=index)
    keys = ms[index]
    first = int(np.flatnonzero(~missing)[0])
    keys[:first] = previous if previous is not None else ms[first]
    return keys


class Stopped(Exception):
    """A stop was requested (SIGINT / SIGTERM) while the extracts were being read."""


def load_replay(paths: Sequence[Path], dataset: Dataset | None, key_field: str | None,
                stop: threading.Event | None = None,
                shape: StreamShape | None = None) -> Replay:
    """Read, normalise and render every extract (services.extracts), batch by batch, so
    only the rendered payloads stay in memory; files that cannot be read are reported and
    skipped, and at least one must give rows. Raises Stopped if `stop` is set meanwhile."""
    normaliser = Normaliser(dataset, key_field, shape)
    if len(paths) > 1:
        normaliser.root = Path(os.path.commonpath([p.resolve() for p in paths]))
    events: list[Events] = []
    keys: list[np.ndarray] = []
    timed: list[np.ndarray] = []
    bad_rows = bad_files = 0
    for path in paths:
        rows, bad, previous = 0, [], None
        file_events, file_keys, file_timed = [], [], []  # kept once the whole file is read
        try:
            if is_change_file(path):  # envelopes go out as they are: changes.py
                batch_events, batch_keys, batch_timed, bad = load_changes(path, key_field)
                file_events, file_keys, file_timed = [batch_events], [batch_keys], [batch_timed]
                rows = batch_events.size + len(bad)
            for extract in () if file_events else extract_batches(path):
                if stop is not None and stop.is_set():
                    raise Stopped
                if extract.num_rows:
                    batch_events, batch_keys, batch_timed = normaliser.prepare(
                        extract, previous)
                    if batch_events.size:
                        file_events.append(batch_events)
                        file_keys.append(batch_keys)
                        file_timed.append(batch_timed)
                        previous = int(batch_keys[-1])
                rows += extract.num_rows
                bad += extract.bad
        except ExtractError as exc:
            log.error("skipped %s", exc)
            bad_files += 1
            continue
        events += file_events
        keys += file_keys
        timed += file_timed
        log_bad_rows(path, bad)
        bad_rows += len(bad)
        log.info("read %s: %d rows%s", path, rows,
                 f", {len(bad)} bad rows skipped" if bad else "")
    if not events:
        raise ExtractError(f"nothing to replay: no rows in {', '.join(map(str, paths))}")
    return Replay(concat_events(events), np.concatenate(keys), np.concatenate(timed),
                  tuple(paths), bad_rows, bad_files)

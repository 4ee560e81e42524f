"""Reading the streaming job's outputs: the Parquet sink's committed files (closed windows,
final), the live file (open windows, provisional) and the status file (last micro-batch);
and the expected answer that the closed windows are verified against, when one is set.

Committed Parquet files never change, so each is read once and kept by path, size and
mtime: a new micro-batch costs one small file read, not a rescan of the whole sink.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from services.outputs import (
    EVENT_COUNT,
    LIVE_KEYS,
    REVENUE,
    WINDOW_END,
    WINDOW_START,
    StreamOutputs,
    committed_parquet_files,
)
from services.streamcheck import EXPECTED_WINDOWS, LEDGER_FILE, Answer, AnswerError, read_answer
from services.web.cache import MtimeCache, Signature, file_signature, folder_signature
from services.web.envelope import BadData, NoData, OutputProblem
from services.web.files import read_json_object

T = TypeVar("T")
WINDOW_COLUMNS = (WINDOW_START, WINDOW_END, REVENUE, EVENT_COUNT)


@dataclass(frozen=True)
class Windows:
    """Closed and open windows with one group column; `notes` say what could not be read."""

    closed: pd.DataFrame | None
    live: pd.DataFrame | None
    group: str
    files: int
    notes: tuple[str, ...] = ()


@dataclass
class _FileTables:
    tables: dict[str, tuple[Signature, pa.Table]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class StreamStore:
    def __init__(self, outputs: StreamOutputs, default_group: str,
                 cache: MtimeCache | None = None, history: int = 120):
        self.outputs = outputs
        self.default_group = default_group
        self.cache = cache or MtimeCache()
        self.history: deque[dict[str, Any]] = deque(maxlen=history)
        self._files = _FileTables()

    @property
    def log_dir(self) -> Path:
        return self.outputs.parquet_dir / "_spark_metadata"

    def sink_signature(self) -> Signature:
        return folder_signature(self.log_dir)

    def live_signature(self) -> Signature:
        return file_signature(self.outputs.live_file)

    def status_signature(self) -> Signature:
        return file_signature(self.outputs.status_file)

    def signatures(self) -> tuple[Signature, ...]:
        return (self.sink_signature(), self.live_signature(), self.status_signature())

    def derived(self, name: str, params: Hashable, compute: Callable[[Windows], T]) -> T:
        """A payload from the windows, cached until the sink log or the live file changes."""
        signature = (self.sink_signature(), self.live_signature())
        return self.cache.get(("derived", name, params), signature,
                              lambda: compute(self.windows(signature)),
                              remember=(OutputProblem,))

    def windows(self, signature: Signature | None = None) -> Windows:
        signature = signature or (self.sink_signature(), self.live_signature())
        return self.cache.get("windows", signature, self._windows, remember=(OutputProblem,))

    def status(self) -> dict[str, Any]:
        return self.cache.get("status", self.status_signature(), self._read_status,
                              remember=(OutputProblem,))

    def clear(self) -> None:
        """Forget every cached read (used by the benchmark to measure a cold start)."""
        self.cache.clear()
        with self._files.lock:
            self._files.tables.clear()

    # ------------------------------------------------------------------ reading
    def _windows(self) -> Windows:
        notes: list[str] = []
        live, live_group = self._read_live(notes)
        try:
            closed, files = self._read_closed(notes, live_group)
        except OutputProblem as problem:
            if live is None:
                raise
            closed, files = None, 0
            notes.append(problem.message if isinstance(problem, BadData) else
                         "No window has closed yet: showing the open windows only, "
                         "provisional until the watermark passes their end.")
        group = live_group or self.default_group
        if closed is not None:
            group = _group_column(list(closed.columns), live_group or self.default_group)
        if live is not None and group not in live.columns:
            notes.append(f"The live file's windows lack the column {group!r}; open windows "
                         "are not shown.")
            live = None
            if closed is None:
                raise BadData(" ".join(notes))
        return Windows(closed, live, group, files, tuple(notes))

    def _read_closed(self, notes: list[str], hint: str | None) -> tuple[pd.DataFrame, int]:
        sink = self.outputs.parquet_dir
        if not sink.is_dir():
            raise NoData(f"No streaming output yet: the folder {sink} does not exist. "
                         "Start the streaming job to create it.")
        try:
            files = committed_parquet_files(sink)
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise BadData(f"The sink log {self.log_dir} cannot be read ({type(exc).__name__}: "
                          f"{exc}); it may be half-written.") from None
        if not files:
            raise NoData(f"No window has closed yet: the sink log {self.log_dir} lists no "
                         "committed Parquet file. Windows close once the watermark passes "
                         "their end.")
        self._forget_except({str(p) for p in files})
        tables, bad = [], []
        for path in files:
            try:
                tables.append(self._table(path))
            except (OSError, pa.ArrowException) as exc:
                bad.append(f"{path.name} ({str(exc).splitlines()[0]})")
        if bad and not tables:
            raise BadData(f"No committed Parquet file in {sink} can be read: {'; '.join(bad)}.")
        if bad:
            notes.append(f"{len(bad)} committed file(s) could not be read and are left out: "
                         f"{'; '.join(bad)}.")
        try:
            table = pa.concat_tables(tables, promote_options="permissive")
        except pa.ArrowException as exc:
            raise BadData(f"The Parquet files in {sink} disagree on their columns: {exc}.") \
                from None
        frame = table.to_pandas()
        missing = [c for c in WINDOW_COLUMNS if c not in frame.columns]
        if missing:
            raise BadData(f"The Parquet files in {sink} lack the column(s) {', '.join(missing)}; "
                          f"found {', '.join(frame.columns)}.")
        group = _group_column(list(frame.columns), hint or self.default_group)
        try:
            return _typed(frame, group), len(tables)
        except (KeyError, ValueError, TypeError) as exc:
            raise BadData(f"The Parquet files in {sink} hold values that cannot be read as "
                          f"windows: {exc}.") from None

    def _table(self, path: Path) -> pa.Table:
        signature = file_signature(path)
        key = str(path)
        with self._files.lock:
            hit = self._files.tables.get(key)
        if hit is not None and hit[0] == signature:
            return hit[1]
        table = pq.read_table(path)
        with self._files.lock:
            self._files.tables[key] = (signature, table)
        return table

    def _forget_except(self, keep: set[str]) -> None:
        """Drop tables of files no longer committed, so memory follows the sink."""
        with self._files.lock:
            for key in [k for k in self._files.tables if k not in keep]:
                del self._files.tables[key]

    def _read_live(self, notes: list[str]) -> tuple[pd.DataFrame | None, str | None]:
        try:
            payload = read_json_object(self.outputs.live_file, "live view of open windows",
                                       LIVE_KEYS)
        except NoData:
            return None, None
        except BadData as problem:
            notes.append(problem.message + " Open windows are not shown.")
            return None, None
        group = payload.get("group_field")
        group = group if isinstance(group, str) and group else None
        rows = payload.get("windows")
        if not isinstance(rows, list):
            notes.append("The live file's `windows` is not a list; open windows are not shown.")
            return None, group
        if not rows:
            return None, group
        try:
            frame = pd.DataFrame(rows)
            frame = _typed(frame, group or self.default_group)
        except (KeyError, ValueError, TypeError) as exc:
            notes.append(f"The live file's windows cannot be read ({exc}); open windows are "
                         "not shown.")
            return None, group
        return frame, group

    def _read_status(self) -> dict[str, Any]:
        status = read_json_object(self.outputs.status_file, "stream status")
        last = self.history[-1] if self.history else None
        if last is not None and last.get("run_id") != status.get("run_id"):
            self.history.clear()  # the query restarted: its rates start afresh
            last = None
        if last is None or last.get("batch_id") != status.get("batch_id"):
            self.history.append({
                "run_id": status.get("run_id"),
                "batch_id": status.get("batch_id"),
                "batch_time": status.get("batch_time") or status.get("generated_at"),
                "input_rows_per_second": _float(status.get("input_rows_per_second")),
                "processed_rows_per_second": _float(status.get("processed_rows_per_second")),
                "input_rows": _float(status.get("input_rows")),
            })
        return status


def _group_column(columns: list[str], hint: str) -> str:
    extras = [c for c in columns if c not in WINDOW_COLUMNS and not c.startswith("__")]
    if hint in extras:
        return hint
    if extras:
        return extras[0]
    raise BadData(f"The windows have no group column besides {', '.join(WINDOW_COLUMNS)}.")


def _typed(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """Group as text, window bounds as UTC timestamps, revenue float, count int."""
    out = pd.DataFrame({
        group: frame[group].astype("string").fillna("UNKNOWN").astype(str),
        WINDOW_START: _utc(frame[WINDOW_START]),
        WINDOW_END: _utc(frame[WINDOW_END]),
        REVENUE: pd.to_numeric(frame[REVENUE], errors="raise").astype(float),
        EVENT_COUNT: pd.to_numeric(frame[EVENT_COUNT], errors="raise").fillna(0).astype("int64"),
    })
    if out[WINDOW_START].isna().any() or out[WINDOW_END].isna().any():
        raise ValueError("a window has no start or end time")
    return out


def _utc(column: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        if getattr(column.dt, "tz", None) is None:
            return column.dt.tz_localize("UTC")
        return column.dt.tz_convert("UTC")
    return pd.to_datetime(column, utc=True, format="ISO8601")


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


class ExpectedAnswer:
    """The expected answer in STREAM_EXPECTED_DIR (services.streamcheck), read again only
    when its files change."""

    def __init__(self, directory: Path, cache: MtimeCache):
        self.directory = directory
        self.cache = cache

    def signature(self) -> Signature:
        return (file_signature(self.directory / EXPECTED_WINDOWS),
                file_signature(self.directory / LEDGER_FILE))

    def answer(self, signature: Signature | None = None) -> Answer:
        return self.cache.get("expected", signature or self.signature(), self._read,
                              remember=(OutputProblem,))

    def _read(self) -> Answer:
        if not (self.directory / LEDGER_FILE).is_file():
            raise NoData(f"No expected answer yet: {self.directory / LEDGER_FILE} does not "
                         "exist (the producer writes it with --expect).")
        try:
            return read_answer(self.directory)
        except AnswerError as exc:
            raise BadData(f"The expected answer cannot be read: {exc}") from None

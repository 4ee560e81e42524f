"""A pipeline's output as window x group rows: our streaming job's Parquet sink (only the
files its _spark_metadata log committed), or a user's CSV, JSON Lines, Parquet or Avro file
or folder, with named columns for the group, the window start, the count and the sum.

Files are read by services.extracts (one rule for which files of a folder count, one text
for a value in every format) and their values parsed by services.streamcheck.values. Each
row remembers its file and line (Parquet, Avro: row number), so a difference can say where
it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from services.extracts import (
    ACCEPTED,
    AVRO,
    CSV,
    JSONL,
    PARQUET,
    ExtractError,
    ExtractRows,
    extract_batches,
    kind_of,
    local_listing,
)
from services.outputs import EVENT_COUNT, REVENUE, WINDOW_START, committed_parquet_files
from services.streamcheck.values import TIMES, Parsed, parse_counts, parse_sums, parse_times_ms

AUTO = "auto"
FORMATS = (AUTO, PARQUET, CSV, JSONL, AVRO)
SINK_LOG = "_spark_metadata"
NO_LINES = (PARQUET, AVRO)  # a place in these files is a row number


class OutputError(ValueError):
    """A pipeline's output cannot be read as windows; the message names the file, the line
    and the column."""


@dataclass(frozen=True)
class OutputColumns:
    """Which column of the output holds what (the options that name them in `option`)."""

    group: str
    start: str = WINDOW_START
    count: str = EVENT_COUNT
    sum: str = REVENUE

    def by_option(self) -> dict[str, str]:
        return {"--group-column": self.group, "--start-column": self.start,
                "--count-column": self.count, "--sum-column": self.sum}


@dataclass(frozen=True)
class OutputRows:
    """Window x group rows, a numpy array per column, and where each row came from."""

    groups: np.ndarray  # object array of str
    start_ms: np.ndarray  # int64, epoch ms UTC
    counts: np.ndarray  # int64
    sums: np.ndarray  # float64
    files: tuple[str, ...] = ()
    units: tuple[str, ...] = ()  # per file: "line" (CSV, JSONL) or "row" (Parquet, Avro)
    file_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    place: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def of(cls, groups: Sequence[str] | np.ndarray, start_ms: Sequence[int] | np.ndarray,
           counts: Sequence[int] | np.ndarray, sums: Sequence[float] | np.ndarray
           ) -> OutputRows:
        """Rows from columns (a dashboard's frame, a test), without file places."""
        return cls(np.asarray(groups, dtype=object), np.asarray(start_ms, dtype=np.int64),
                   np.asarray(counts, dtype=np.int64), np.asarray(sums, dtype=np.float64))

    def __len__(self) -> int:
        return len(self.start_ms)

    def where(self, row: int) -> str:
        """`file:line` or `file row N` of a row; "" when the rows came without places."""
        if not len(self.file_of):
            return ""
        index = int(self.file_of[row])
        if self.units[index] == "row":
            return f"{self.files[index]} row {int(self.place[row])}"
        return f"{self.files[index]}:{int(self.place[row])}"


def read_output(location: Path, columns: OutputColumns, fmt: str = AUTO) -> OutputRows:
    """Every row of the output at `location`; OutputError for anything that cannot be read."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}; accepted: {', '.join(FORMATS)}")
    found = output_files(location, fmt)
    parts = [part for index, (path, kind) in enumerate(found)
             for part in _file_rows(path, kind, index, columns)]
    if not parts:
        return OutputRows.of([], [], [], [])
    return OutputRows(*(np.concatenate([p[i] for p in parts]) for i in range(4)),
                      files=tuple(str(path) for path, _ in found),
                      units=tuple("row" if kind in NO_LINES else "line" for _, kind in found),
                      file_of=np.concatenate([p[4] for p in parts]),
                      place=np.concatenate([p[5] for p in parts]))


def output_files(location: Path, fmt: str = AUTO) -> list[tuple[Path, str]]:
    """(file, format) of each file of the output: a sink folder's committed files, a
    folder's extract files (of `fmt` only, unless auto), or the one file given."""
    if location.is_dir():
        if (location / SINK_LOG).is_dir() and fmt in (AUTO, PARQUET):
            try:
                return [(path, PARQUET) for path in committed_parquet_files(location)]
            except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
                raise OutputError(f"{location / SINK_LOG}: the sink log cannot be read "
                                  f"({type(exc).__name__}: {exc})") from None
        listing = local_listing(location)  # and Spark's JSON Lines parts, named *.json
        found = [(path, kind_of(path.name) or CSV) for path in
                 sorted([*listing.extracts, *(p for p in listing.skipped if kind_of(p.name))],
                        key=lambda p: p.relative_to(location).as_posix())]
        if fmt != AUTO:
            found = [(path, kind) for path, kind in found if kind == fmt]
        if not found:
            what = ACCEPTED if fmt == AUTO else f"{fmt} files"
            raise OutputError(f"{location}: no output files ({what}) in this folder")
        return found
    if not location.exists():
        raise OutputError(f"{location}: no such file or folder")
    kind = kind_of(location.name) if fmt == AUTO else fmt
    if kind is None:
        raise OutputError(f"{location}: its name does not tell the format ({ACCEPTED}); "
                          "give --format csv, jsonl, parquet or avro")
    return [(location, kind)]


def _file_rows(path: Path, kind: str, index: int, columns: OutputColumns
               ) -> Iterator[tuple[np.ndarray, ...]]:
    try:
        for batch in extract_batches(path, kind):
            if batch.bad:
                more = len(batch.bad) - 1
                raise OutputError(f"{batch.bad[0]}" + (f" (and {more} more bad rows)"
                                                       if more else ""))
            if batch.num_rows:
                yield _batch_rows(batch, kind, index, columns)
    except ExtractError as exc:
        raise OutputError(str(exc)) from None


def _batch_rows(batch: ExtractRows, kind: str, index: int, columns: OutputColumns
                ) -> tuple[np.ndarray, ...]:
    for option, name in columns.by_option().items():
        if name not in batch.columns:
            raise OutputError(f"{batch.path}: no column {name!r} (named by {option}); its "
                              f"columns are {', '.join(batch.names)}")

    def located(parsed: Parsed, name: str, expected: str) -> np.ndarray:
        if len(parsed.bad):
            row = int(parsed.bad[0])
            place = int(batch.lines_of(np.asarray([row]))[0])
            where = f"{batch.path} row {place}" if kind in NO_LINES else f"{batch.path}:{place}"
            value = batch.columns[name].text[row].as_py()
            got = "no value" if value is None else f"got {value!r}"
            raise OutputError(f"{where}: column {name!r}: expected {expected}, {got}")
        return parsed.values

    group_text = batch.columns[columns.group].text
    empty = np.flatnonzero(group_text.is_null().to_numpy(zero_copy_only=False))
    groups = located(Parsed(group_text.to_numpy(zero_copy_only=False), empty), columns.group,
                     "a group value")
    starts = located(parse_times_ms(batch.columns[columns.start].text), columns.start,
                     f"a window start: {TIMES}")
    counts = located(parse_counts(batch.columns[columns.count].text), columns.count,
                     "a whole number >= 0")
    sums = located(parse_sums(batch.columns[columns.sum].text), columns.sum, "a number")
    rows = np.arange(batch.num_rows)
    return (groups.astype(object), starts, counts, sums,
            np.full(batch.num_rows, index, dtype=np.int64),
            np.asarray(batch.lines_of(rows), dtype=np.int64))

"""CSV extracts: Arrow's streaming reader for speed and flat memory; Python's csv module
only to name the lines of rows, and per line only around a bad row.

Arrow counts records, not lines (a quoted value may span lines, blank lines are not
records), so a row's physical line is found, only when a message or an event id needs it,
by one pass of the csv module over the file, whose quoting rules are the same.

One bad row never costs the rest of the file:
- bytes that are not UTF-8 are replaced on their way to Arrow (`Utf8Stream`) and the rows
  holding them are bad;
- a row with the wrong number of fields is bad; when it spans lines (an unterminated
  quote swallows the lines after it, up to the next quote character) only its first line
  is, and the lines it swallowed are read again as rows of their own (`_recovered`);
- a value of any size is read (the csv module's field limit is lifted while it counts).

Values are trimmed, and the spellings of a missing value (services.extracts.nulls) are null.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from services.extracts.nulls import spelled_null
from services.extracts.rows import (
    BadRow,
    ExtractError,
    ExtractRows,
    TextColumn,
    blank_rows,
    column_names,
    concat_extracts,
    open_bytes,
    open_text,
    trim,
)

BLOCK_BYTES = 4 << 20  # bytes of CSV per batch: memory stays flat whatever the file size
STRADDLE_RETRIES = 12  # each try with blocks 4 times larger than the last
NOT_UTF8 = "not valid UTF-8 text"
log = logging.getLogger("extracts.csv")
LINE_BREAKS = ("\n", "\r")


@contextlib.contextmanager
def any_field_size() -> Iterator[None]:
    """The csv module refuses values over 128 KiB by default; a 10 MB value is a value."""
    before = csv.field_size_limit()
    try:
        csv.field_size_limit(sys.maxsize)
    except OverflowError:  # a C long of 32 bits
        csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def read_header(path: Path) -> list[str] | None:
    with open_text(path) as handle, any_field_size():
        for record in csv.reader(handle):
            if record:  # the first non-empty line, as Arrow takes it
                return record
    return None


def record_lines(handle: io.TextIOBase) -> np.ndarray:
    """Start line (1-based) of each non-empty record of the text, as Arrow counts records."""
    starts = []
    with any_field_size():
        reader = csv.reader(handle)
        previous = 0
        for record in reader:
            if record:
                starts.append(previous + 1)
            previous = reader.line_num
    return np.asarray(starts, dtype=np.int64)


def cut_character(data: bytes) -> int:
    """How many bytes at the end of `data` begin a UTF-8 character that goes on past it."""
    for back in range(1, min(3, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: look further back
            continue
        need = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else \
            4 if byte & 0xF8 == 0xF0 else 1
        return back if need > back else 0
    return 0


_marks = threading.local()  # offsets of bad bytes, for the decode running in this thread


def _mark(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    _marks.offsets.append(exc.start)
    return "\ufffd", exc.end


codecs.register_error("sdp-extracts-mark", _mark)


class Utf8Stream(io.RawIOBase):
    """A byte stream passed on with every byte that is not UTF-8 replaced by U+FFFD, and
    the physical lines (1-based) where that happened in `bad_lines`. Checking a block costs
    one decode in C; a character cut by the block's end waits for the next read."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self.raw = raw
        self.carry = b""
        self.lines = 0  # line breaks (\n) passed on so far
        self.bad_lines: list[int] = []

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()
        super().close()

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        while True:
            more = self.raw.read(size)
            final = size < 0 or len(more) < size
            data = self.carry + more
            cut = 0 if final else cut_character(data)
            data, self.carry = (data[:-cut], data[-cut:]) if cut else (data, b"")
            if data or final:
                break
        data = self._checked(data)
        self.lines += data.count(b"\n")
        return data

    def _checked(self, data: bytes) -> bytes:
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            pass
        _marks.offsets = []
        text = data.decode("utf-8", "sdp-extracts-mark")
        breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
        lines = self.lines + np.searchsorted(breaks, np.asarray(_marks.offsets)) + 1
        self.bad_lines.extend(sorted(set(lines.tolist()) - set(self.bad_lines[-1:])))
        return text.encode("utf-8")


def csv_batches(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[ExtractRows]:
    """The file's good rows, a batch at a time, each an ExtractRows of its own rows (and of the
    bad rows found while reading it)."""
    header = read_header(path)
    if header is None:
        return
    names = column_names(path, header)
    yield from _stretch(path, names, lambda: Utf8Stream(open_bytes(path)),
                        _Lines(lambda: open_text(path)), block_bytes, header)


class _Lines:
    """Physical lines of a stretch's records, found by one csv-module pass the first time
    one is asked."""

    def __init__(self, open_text_of: Callable[[], io.TextIOBase], offset: int = 0) -> None:
        self.open_text_of = open_text_of
        self.offset = offset
        self.starts: np.ndarray | None = None

    def of_records(self, records: np.ndarray) -> np.ndarray:
        if self.starts is None:
            with self.open_text_of() as handle:
                self.starts = record_lines(handle) + self.offset
        known = records - 1 < len(self.starts)  # always, unless the file changed meanwhile
        out = records.copy()
        out[known] = self.starts[records[known] - 1]
        return out

    def records_of_lines(self, lines: list[int]) -> np.ndarray:
        """The records (1-based) that hold these physical lines."""
        self.of_records(np.ones(1, dtype=np.int64))
        assert self.starts is not None
        return np.searchsorted(self.starts, np.asarray(lines), side="right")


def _stretch(path: Path, names: list[str], open_stream: Callable[[], io.RawIOBase],
             lines: _Lines, block_bytes: int,
             header: list[str] | None) -> Iterator[ExtractRows]:
    """Rows of a stream of CSV text: the file, with its `header` (record 1), or lines an
    unterminated quote swallowed (no header; `lines` knows where they are). A record longer
    than a block stops Arrow ("straddles two block boundaries"): the stream is then read
    again with blocks 4 times larger, from the first record not yet given."""
    done = 1 if header else 0  # records given so far (the header is record 1)
    for _ in range(STRADDLE_RETRIES):
        progress = [done]
        try:
            with contextlib.closing(open_stream()) as stream:
                yield from _records(path, names, stream, lines, block_bytes, header, progress)
            return
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
            done, block_bytes = progress[0], block_bytes * 4
            log.info("%s: a record after line %s is longer than a block of CSV; reading on "
                     "with %d MB blocks", path, lines.of_records(np.asarray([done]))[0],
                     block_bytes >> 20)
    raise ExtractError(f"{path}: a record after record {done} is longer than "
                       f"{block_bytes >> 20} MB")


def _records(path: Path, names: list[str], stream: io.RawIOBase, lines: _Lines,
             block_bytes: int, header: list[str] | None,
             progress: list[int]) -> Iterator[ExtractRows]:
    """_stretch's reading, from record progress[0] + 1 on; progress[0] follows what it gave."""
    skipped: list[tuple[int, str, str]] = []  # (record, reason, text); reason "" if blank

    def on_invalid(row: pacsv.InvalidRow) -> str:
        reason = (f"{row.actual_columns} fields, the header has {row.expected_columns}"
                  if row.text.strip() else "")
        skipped.append((row.number or 0, reason, row.text))
        return "skip"

    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=block_bytes,
                                       column_names=None if header else names),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header or names, pa.string()),
            strings_can_be_null=False, quoted_strings_can_be_null=False))
    last_record = 1 if header else 0
    undecodable = getattr(stream, "bad_lines", [])
    judged, not_utf8 = 0, np.zeros(0, dtype=np.int64)  # lines of undecodable judged; records
    for batch in reader:
        # Arrow may have parsed ahead: the invalid records past this batch wait for the next
        gone = np.asarray(sorted(n for n, _, _ in skipped if n > last_record), dtype=np.int64)
        span = np.arange(last_record + 1, last_record + 1 + batch.num_rows + len(gone))
        records = np.setdiff1d(span, gone)[:batch.num_rows]
        if len(records):
            last_record = int(records[-1])
        fresh = int(np.searchsorted(records, progress[0], side="right"))  # read before
        batch, records = batch.slice(fresh), records[fresh:]
        extract = _batch(path, names, batch, records, lines)
        if len(undecodable) > judged:  # the stream may be ahead of the batch: keep them all
            not_utf8 = np.union1d(not_utf8, lines.records_of_lines(undecodable[judged:]))
            judged = len(undecodable)
        if len(not_utf8):
            extract.drop(np.flatnonzero(np.isin(records, not_utf8)), NOT_UTF8)
        new = [item for item in skipped if progress[0] < item[0] <= last_record]
        progress[0] = max(progress[0], last_record)
        yield from _with_skipped(path, names, extract, new, lines, block_bytes)
    new = [item for item in skipped if item[0] > progress[0]]
    progress[0] = max([progress[0], *(n for n, _, _ in new)])
    yield from _with_skipped(path, names, None, new, lines, block_bytes)


def _with_skipped(path: Path, names: list[str], extract: ExtractRows | None,
                  skipped: list[tuple[int, str, str]], lines: _Lines,
                  block_bytes: int) -> Iterator[ExtractRows]:
    """The batch with its bad records, then the rows of lines a bad record swallowed."""
    bad = [(n, reason, text) for n, reason, text in skipped if reason]
    if not bad and extract is None:
        return
    found = lines.of_records(np.asarray([n for n, _, _ in bad], dtype=np.int64))
    rows = [BadRow(path, int(line), reason if not _spans_lines(text) else
                   f"{reason} (an unterminated quote?); the lines after it are read again")
            for (_, reason, text), line in zip(bad, found, strict=True)]
    recovered = [part for (_, _, text), line in zip(bad, found, strict=True)
                 if _spans_lines(text)
                 for part in _recovered(path, names, text, int(line), block_bytes)]
    parts = ([] if extract is None else [extract]) + recovered
    if not parts:
        parts = [ExtractRows(path, {}, 0, lambda r: r, [])]
    whole = parts[0] if len(parts) == 1 else _in_line_order(concat_extracts(path, parts))
    whole.bad[:0] = rows
    whole.bad.sort(key=lambda row: row.line or 0)
    yield whole


def _in_line_order(extract: ExtractRows) -> ExtractRows:
    """The batch and the rows read again from lines a bad record swallowed, as the file
    has them (ties in event time are sent in line order)."""
    lines = extract.lines_of(np.arange(extract.num_rows))
    order = np.argsort(lines, kind="stable")
    old = extract.lines_of
    return ExtractRows(extract.path, {name: column.take(order)
                                      for name, column in extract.columns.items()},
                       extract.num_rows, lambda r: old(order[r]), extract.bad)


def _spans_lines(text: str) -> bool:
    return any(mark in text for mark in LINE_BREAKS)


def _recovered(path: Path, names: list[str], text: str, line: int,
               block_bytes: int) -> Iterator[ExtractRows]:
    """The lines after the first of a bad record that spans lines, read as rows again."""
    first = min(i for i in (text.find(mark) for mark in LINE_BREAKS) if i >= 0)
    rest = text[first + (2 if text.startswith("\r\n", first) else 1):]
    if not rest.strip():
        return
    data = rest.encode("utf-8")
    lines = _Lines(lambda: io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""),
                   offset=line)
    yield from _stretch(path, names, lambda: io.BytesIO(data), lines, block_bytes, None)


def _batch(path: Path, names: list[str], batch: pa.RecordBatch, records: np.ndarray,
           lines: _Lines) -> ExtractRows:
    columns = {name: TextColumn(spelled_null(trim(pa.chunked_array([column]))))
               for name, column in zip(names, batch.columns, strict=True)}
    extract = ExtractRows(path, columns, batch.num_rows, lambda rows: lines.of_records(
        records[np.asarray(rows, dtype=np.int64)]))
    extract.drop(blank_rows(extract), None)
    return extract

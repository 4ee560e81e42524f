"""CSV extracts: Arrow's streaming reader for speed and flat memory,
Python's csv module only to name the lines of bad rows.

Arrow counts records, not lines (a quoted value may span lines, blank lines are not
records), so a row's physical line is found, only when a message needs it, by one pass of
the csv module over the file, whose quoting rules are the same.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from services.extracts.rows import (
    BadRow,
    ExtractRows,
    TextColumn,
    blank_rows,
    column_names,
    open_text,
    trim,
)

BLOCK_BYTES = 4 << 20  # bytes of CSV per batch: memory stays flat whatever the file size


def read_header(path: Path) -> list[str] | None:
    with open_text(path) as handle:
        for record in csv.reader(handle):
            if record:  # the first non-empty line, as Arrow takes it
                return record
    return None


def record_lines(path: Path) -> np.ndarray:
    """Start line (1-based) of each non-empty record, header included, as Arrow counts them."""
    starts = []
    with open_text(path) as handle:
        reader = csv.reader(handle)
        previous = 0
        for record in reader:
            if record:
                starts.append(previous + 1)
            previous = reader.line_num
    return np.asarray(starts, dtype=np.int64)


def decode(column: pa.ChunkedArray | pa.Array) -> tuple[pa.ChunkedArray, np.ndarray | None]:
    """Binary cells as UTF-8 text; rows that are not valid UTF-8 come back in a mask."""
    try:
        text = column.cast(pa.string())
    except pa.ArrowInvalid:
        values = column.to_pylist()
        bad = np.zeros(len(values), dtype=bool)
        for i, value in enumerate(values):
            try:
                values[i] = value.decode("utf-8")
            except UnicodeDecodeError:
                values[i], bad[i] = "", True
        return pa.chunked_array([pa.array(values, pa.string())]), bad
    return (text if isinstance(text, pa.ChunkedArray) else pa.chunked_array([text])), None


class _Lines:
    """Physical lines of records, found by one csv-module pass the first time one is asked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.starts: np.ndarray | None = None

    def of_records(self, records: np.ndarray) -> np.ndarray:
        if self.starts is None:
            self.starts = record_lines(self.path)
        known = records - 1 < len(self.starts)  # always, unless the file changed meanwhile
        out = records.copy()
        out[known] = self.starts[records[known] - 1]
        return out


def csv_batches(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[ExtractRows]:
    """The file's good rows, a batch at a time, each an ExtractRows of its own rows (and of the
    bad rows found while reading it)."""
    header = read_header(path)
    if header is None:
        return
    names = column_names(path, header)
    skipped: list[tuple[int, str]] = []  # (record number, reason; "" for a blank line)

    def on_invalid(row: pacsv.InvalidRow) -> str:
        reason = (f"{row.actual_columns} fields, the header has {row.expected_columns}"
                  if row.text.strip() else "")
        skipped.append((row.number or 0, reason))
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=block_bytes),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.binary()),
            strings_can_be_null=False, quoted_strings_can_be_null=False))
    lines = _Lines(path)
    last_record, reported = 1, 0  # the header is record 1
    for batch in reader:
        gone = np.asarray(sorted(n for n, _ in skipped if n > last_record), dtype=np.int64)
        span = np.arange(last_record + 1, last_record + 1 + batch.num_rows + len(gone))
        records = np.setdiff1d(span, gone)[:batch.num_rows]
        if len(records):
            last_record = int(records[-1])
        extract = _batch(path, names, batch, records, lines)
        new = [(n, reason) for n, reason in skipped[reported:] if reason]
        reported = len(skipped)
        if new:
            found = lines.of_records(np.asarray([n for n, _ in new], dtype=np.int64))
            extract.bad[:0] = [BadRow(path, int(line), reason)
                               for (_, reason), line in zip(new, found, strict=True)]
        yield extract
    new = [(n, reason) for n, reason in skipped[reported:] if reason]
    if new:  # bad records after the last good one
        found = lines.of_records(np.asarray([n for n, _ in new], dtype=np.int64))
        yield ExtractRows(path, {}, 0, lambda rows: rows,
                      [BadRow(path, int(line), reason)
                       for (_, reason), line in zip(new, found, strict=True)])


def _batch(path: Path, names: list[str], batch: pa.RecordBatch, records: np.ndarray,
           lines: _Lines) -> ExtractRows:
    undecodable = np.zeros(batch.num_rows, dtype=bool)
    columns = {}
    for name, column in zip(names, batch.columns, strict=True):
        text, bad = decode(column)
        if bad is not None:
            undecodable |= bad
        columns[name] = TextColumn(trim(text))
    extract = ExtractRows(path, columns, batch.num_rows, lambda rows: lines.of_records(
        records[np.asarray(rows, dtype=np.int64)]))
    extract.drop(np.flatnonzero(undecodable), "not valid UTF-8 text")
    extract.drop(blank_rows(extract), None)
    return extract

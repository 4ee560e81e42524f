"""JSONL extracts: one JSON object per line, values keeping their JSON types.

Lines are parsed with the json module, so this reader does per-row Python work; it runs
once per file, and the columns it builds are rendered like CSV's. Readers that need the text
alone (the schema inference) may take `arrow_jsonl` first: Arrow's JSON reader, far faster,
for files whose keys each keep one flat type.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pajson

from services.extracts.rows import BadRow, ExtractRows, TextColumn, blank_rows, open_bytes, trim

COMPACT = (",", ":")
ROWS_PER_BATCH = 65_536
HEAD_BYTES = 1 << 20  # of a JSONL file, read by arrow_jsonl to learn the type of each key


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def cell(value: Any) -> tuple[str | None, bool]:
    """(text, is raw JSON) of one value: strings trimmed (empty -> null), the rest as JSON."""
    if value is None:
        return None, False
    if isinstance(value, str):
        value = value.strip()
        return (value or None), False
    if isinstance(value, bool):
        return ("true" if value else "false"), True
    return json.dumps(value, separators=COMPACT, ensure_ascii=False), True


def parse_line(text: str) -> dict[str, tuple[str | None, bool]] | str:
    """A row's cells by trimmed key, or the reason the line is bad."""
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    if not isinstance(obj, dict):
        return f"not a JSON object but {type(obj).__name__}"
    row: dict[str, tuple[str | None, bool]] = {}
    for key, value in obj.items():
        name = key.strip()
        if not name:
            return "a key is empty"
        if name in row:
            return f"key {name!r} appears twice once trimmed"
        row[name] = cell(value)
    return row


def jsonl_batches(path: Path, rows_per_batch: int = ROWS_PER_BATCH) -> Iterator[ExtractRows]:
    """The file's good rows, a batch at a time (with the bad lines found while reading it)."""
    rows: list[dict[str, tuple[str | None, bool]]] = []
    lines: list[int] = []
    bad: list[BadRow] = []
    with open_bytes(path) as handle:
        for number, data in enumerate(handle, 1):
            try:
                line = data.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                bad.append(BadRow(path, number, "not valid UTF-8 text"))
                continue
            if not line.strip():
                continue
            row = parse_line(line)
            if isinstance(row, str):
                bad.append(BadRow(path, number, row))
                continue
            if all(text is None for text, _ in row.values()):
                continue  # a blank row: {} or every value empty
            rows.append(row)
            lines.append(number)
            if len(rows) >= rows_per_batch:
                yield _extract(path, rows, lines, bad)
                rows, lines, bad = [], [], []
    if rows or bad:
        yield _extract(path, rows, lines, bad)


def _extract(path: Path, rows: list[dict[str, tuple[str | None, bool]]], lines: list[int],
             bad: list[BadRow]) -> ExtractRows:
    order = {name: None for row in rows for name in row}
    columns = {name: _column(rows, name) for name in order}
    line_numbers = np.asarray(lines, dtype=np.int64)
    return ExtractRows(path, columns, len(rows), lambda r: line_numbers[r], bad)


def _column(rows: list[dict[str, tuple[str | None, bool]]], name: str) -> TextColumn:
    missing = (None, False)
    cells = [row.get(name, missing) for row in rows]
    text = pa.chunked_array([pa.array([c[0] for c in cells], pa.string())])
    raw_flags = [c[1] for c in cells]
    raw = pa.chunked_array([pa.array(raw_flags, pa.bool_())]) if any(raw_flags) else None
    absent_flags = [name not in row for row in rows]
    absent = pa.chunked_array([pa.array(absent_flags, pa.bool_())]) if any(absent_flags) else None
    return TextColumn(text, raw, absent)


def arrow_jsonl(path: Path) -> ExtractRows | None:
    """The whole file by Arrow's JSON reader: the rows jsonl_batches gives, their values as
    its text (numbers in Arrow's notation: 12 where the JSON said 12.0); None when a line
    is not JSON, or a key changes type or holds objects or lists (then read it with
    jsonl_batches, which names the bad lines)."""
    try:
        with open_bytes(path) as handle:
            head = handle.read(HEAD_BYTES)
        head = head[:head.rfind(b"\n") + 1] or head
        # Arrow would read ISO text as timestamps and lose its format: text it stays.
        kinds = pajson.read_json(io.BytesIO(head)).schema
        text = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_timestamp(f.type)
                          else f for f in kinds])
        options = pajson.ParseOptions(explicit_schema=text, unexpected_field_behavior="infer")
        with open_bytes(path) as handle:
            table = pajson.read_json(handle, parse_options=options)
    except (pa.ArrowInvalid, OSError, EOFError, gzip.BadGzipFile):
        return None
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_string(kind):
            columns[name.strip()] = TextColumn(trim(column))
        elif pa.types.is_null(kind):
            columns[name.strip()] = TextColumn(pa.chunked_array([pa.nulls(len(column),
                                                                          pa.string())]))
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or \
                pa.types.is_boolean(kind):
            columns[name.strip()] = TextColumn(column.cast(pa.string()))
        else:
            return None
    if len(columns) != table.num_columns:  # keys the same once trimmed
        return None
    extract = ExtractRows(path, columns, table.num_rows, lambda rows: np.asarray(rows) + 1)
    extract.drop(blank_rows(extract), None)
    return extract

"""JSONL extracts (an extension): one JSON object per line, values keeping their JSON types.

Lines are parsed with the json module, so this reader does per-row Python work; it runs
once, before sending starts, and the columns it builds are rendered like CSV's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from services.kafka.extract_rows import BadRow, ExtractRows, TextColumn, open_bytes

COMPACT = (",", ":")
ROWS_PER_BATCH = 65_536


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

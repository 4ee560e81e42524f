"""JSON fragments of text columns: the value of each row as it appears in the payload.

Without a schema every value is a JSON string. With one, a schema field's values keep the
JSON type the generator gives them (numbers, booleans, geo objects), but only where the
text really is one: a stray "ask" in a number column stays a string rather than breaking
the payload. Empty values are null, as the generator writes nulls as empty CSV cells.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from services.extracts import TextColumn
from services.generator import json_strings
from services.schema import BOOLEAN, FLOAT, GEO, INTEGER

JSON_NUMBER = r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$"
_NUM = r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?"
GEO_OBJECT = rf'^\{{\s*"lat"\s*:\s*{_NUM}\s*,\s*"lon"\s*:\s*{_NUM}\s*\}}$'


def _matches(text: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    return pc.fill_null(pc.match_substring_regex(text, pattern), False)


def typed(text: pa.ChunkedArray,
          kind: str | None) -> tuple[pa.ChunkedArray, pa.ChunkedArray | None]:
    """(text, is raw JSON) for a schema field's value kind: numbers that are numbers, true and
    false (any case) as booleans, geo objects that are objects."""
    if kind in (INTEGER, FLOAT):
        return text, _matches(text, JSON_NUMBER)
    if kind == BOOLEAN:
        lower = pc.utf8_lower(text)
        is_bool = pc.fill_null(pc.is_in(lower, value_set=pa.array(["true", "false"])), False)
        return pc.if_else(is_bool, lower, text), is_bool
    if kind == GEO:
        return text, _matches(text, GEO_OBJECT)
    return text, None


def fragments(column: TextColumn, kind: str | None = None) -> pa.ChunkedArray:
    """The JSON text of every row's value (never null: an empty value is `null`)."""
    text, raw = column.text, column.raw
    if kind is not None and raw is None:
        text, raw = typed(text, kind)
    quoted = pa.chunked_array([json_strings(chunk) for chunk in text.chunks], pa.string()) \
        if text.num_chunks else text
    out = quoted if raw is None else pc.if_else(raw, text, quoted)
    return pc.fill_null(out, "null")

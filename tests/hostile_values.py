"""One set of hostile dimension values, and a schema that draws them, for the tests that
check every value comes out of every path exactly (issue 12).

Each value breaks a naive reader or writer somewhere: quotes (RFC 4180 doubles them, a
backslash-escaping reader keeps them doubled), the separator, markup, padding (the cleansing
trims it, nothing else may change), text beyond ASCII and the Basic Multilingual Plane, a
backslash next to a quote and at the end, and a line break (only read back with
CSV_MULTILINE=true, so it is kept apart).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SINGLE_LINE: tuple[str, ...] = (
    '12" pizza',
    'O"Brien',
    "Smith, John",
    '"quoted, with a comma"',
    '<a href="x">',
    "  padded value  ",
    "São Paulo",
    "Zürich",
    "東京",
    "🍕 slice",
    'C:\\new\\"dir\\',
)
LINE_BREAK: tuple[str, ...] = ("line one\nline two",)
ALL: tuple[str, ...] = SINGLE_LINE + LINE_BREAK

DIMENSION = "label"  # the hostile dimension: the first one, so streaming groups by it
CHANNELS = ("POS", "ECOM")


def cleansed(value: str) -> str:
    """The value as the jobs publish it: the cleansing trims spaces and changes nothing
    else (Spark's trim removes spaces only, so tabs or line breaks at the ends would stay)."""
    return value.strip(" ")


def hostile_schema(values: tuple[str, ...], start: str, end: str) -> dict[str, Any]:
    """A dataset whose first dimension draws `values`, with weights distinct (every value
    has its own total) but close (every value shows up in a few hundred rows); amounts in
    the millions so sums reach the range where Java writes doubles in scientific notation."""
    return {
        "seed": 12,
        "entity_count": 400,
        "time_window": {"start": start, "end": end},
        "output": {"format": "csv"},
        "schema": {"fields": [
            {"name": "event_id", "type": "uuid"},
            {"name": "event_time", "type": "datetime", "mode": "uniform"},
            {"name": DIMENSION, "type": "category",
             "choices": [{"value": v, "weight": 10 + i} for i, v in enumerate(values)]},
            {"name": "channel", "type": "category", "choices": list(CHANNELS)},
            {"name": "amount", "type": "float", "distribution": "uniform",
             "min": 1_000_000, "max": 9_000_000, "decimals": 2},
            {"name": "approved", "type": "bool", "p_true": 0.3},
        ]},
        "analysis": {"name": "Hostile values", "timestamp_field": "event_time",
                     "dimensions": [DIMENSION, "channel"], "numeric_fields": ["amount"],
                     "boolean_fields": ["approved"], "currency": "EUR"},
    }


def write_schema(folder: Path, values: tuple[str, ...], start: str, end: str) -> Path:
    """The schema as a file, as a user would write it (the jobs read a path)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.json"
    path.write_text(json.dumps(hostile_schema(values, start, end), ensure_ascii=False,
                               indent=1), encoding="utf-8")
    return path

"""The inferred columns as a schema file a person can read: fields in input order, each
with a description of what was found, the shared time window and seasonality, the
analysis section; rendered as JSON that keeps short objects and lists on one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from services.infer.correlations import BLOCK_RHO
from services.infer.dependencies import CONDITIONAL_V
from services.infer.detect import Column
from services.infer.entities import ENTITY_MIN_VALUES
from services.infer.levels import ETA2_MIN
from services.infer.numbers import FIT_KS, QUANTILES
from services.infer.samples import Sample
from services.infer.times import instant_text, seasonality
from services.infer.times import window as time_window

WIDTH = 96


def build_schema(sample: Sample, columns: list[Column], name: str | None = None,
                 window: tuple[int, int, bool] | None = None,
                 entities: dict[str, dict] | None = None,
                 correlations: list[dict] | None = None) -> dict:
    """The schema file: `window` as apply_time_window returned it, the entities and the
    correlation blocks found."""
    files = ", ".join(p.name for p in sample.files)
    doc = {
        "description": (
            f"Inferred by infer_schema.py from {sample.rows:,} rows of {files}. Numbers take "
            "the family (uniform, normal, lognormal, exponential) with the smallest "
            f"Kolmogorov-Smirnov distance when it is at most {FIT_KS}, else an empirical "
            f"table of {QUANTILES} quantiles; a category depends on an earlier one where "
            f"Cramér's V is at least {CONDITIONAL_V}; a number is drawn per level of the "
            f"category that explains it when eta^2 is at least {ETA2_MIN}; numbers whose "
            f"rank correlation reaches {BLOCK_RHO} are drawn together (`correlations`); a "
            f"column whose values repeat, at least {ENTITY_MIN_VALUES} of them, with columns "
            "that never change for one value is an entity. Each field says what was found."),
        "seed": 1,
        "entity_count": sample.rows,
    }
    if window is not None:
        low, high, whole_days = window
        doc["time_window"] = {"start": instant_text(low, whole_days),
                              "end": instant_text(high - (86_399 if whole_days else 0),
                                                  whole_days)}
    doc["output"] = {"format": sample.format}
    if entities:
        doc["entities"] = entities
    doc["schema"] = {"fields": [_field(c) for c in columns]}
    if correlations:
        doc["schema"]["correlations"] = correlations
    doc["analysis"] = analysis(columns, name or _stem(sample.files[0]), entities or {})
    return doc


def apply_time_window(columns: list[Column]) -> tuple[int, int, bool] | None:
    """The window shared by the datetime columns (low, high, whether whole days), with each
    datetime's seasonality decided in it: what the numbers' correlations must know."""
    window = _window(columns)
    if window is not None:
        low, high, _ = window
        for column in columns:
            if column.times is not None:
                _add_seasonality(column, low, high)
    return window


def _window(columns: list[Column]) -> tuple[int, int, bool] | None:
    spans = [(*time_window(c.times), c.times.has_clock) for c in columns if c.times]
    if not spans:
        return None
    return (min(s[0] for s in spans), max(s[1] for s in spans),
            not any(s[2] for s in spans))


def _add_seasonality(column: Column, low: int, high: int) -> None:
    season = seasonality(column.times.seconds, low, high, column.times.has_clock)
    profile = {}
    if season.hour_of_day:
        profile["hour_of_day"] = {str(h): w for h, w in enumerate(season.hour_of_day)}
    if season.day_of_week:
        profile["day_of_week"] = {str(d): w for d, w in enumerate(season.day_of_week)}
    if profile:
        fmt = column.field.pop("format")
        column.field.update(mode="seasonality", profile=profile, format=fmt)
        column.notes.append(f"{' and '.join(k.replace('_', '-') for k in profile)} weights "
                            "differ from flat")
    elif column.times.format != "iso":
        column.notes.append("spread evenly over the window")


def _field(column: Column) -> dict:
    spec = dict(column.field)
    if column.notes:
        spec["description"] = "; ".join(column.notes)
    return spec


def _value_kind(values: list) -> str:
    present = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    return "text"


def _values(spec: dict) -> list:
    if "choices" in spec:
        return [c["value"] for c in spec["choices"]]
    if "conditional_table" in spec:
        return [c["value"] for row in spec["conditional_table"].values() for c in row]
    if "map" in spec:
        return list(spec["map"].values())
    return []


def analysis(columns: list[Column], name: str, entities: dict[str, dict] | None = None
             ) -> dict:
    """Roles by type: the first datetime, text labels as dimensions, numbers (not those
    named as identifiers: `id`, `..._id`), booleans; a lookup by its entity field's values."""
    attributes = {(e, f["name"]): f for e, spec in (entities or {}).items()
                  for f in spec["fields"]}
    entity_of = {c.name: c.field["entity"] for c in columns if c.type == "ref"}
    timestamp = next((c.name for c in columns if c.type == "datetime"), None)
    dims, numbers, bools = [], [], []
    for column in columns:
        if column.field.get("null_prob") == 1:  # always empty: nothing to analyse
            continue
        spec = column.field
        if column.type == "lookup":
            spec = attributes.get((entity_of.get(spec["ref"]), spec["attribute"]), {})
        kind = _value_kind(_values(spec)) if spec.get("type") in (
            "category", "derived_map") else None
        if column.type in ("int", "float") or kind == "number":
            if not _is_identifier(column.name):  # a total of card numbers means nothing
                numbers.append(column.name)
        elif column.type in ("bool", "derived_compare") or kind == "bool":
            bools.append(column.name)
        elif kind == "text":
            dims.append(column.name)
    out: dict[str, Any] = {"name": name}
    if timestamp:
        out["timestamp_field"] = timestamp
    out.update(dimensions=dims, numeric_fields=numbers, boolean_fields=bools)
    return out


def _is_identifier(name: str) -> bool:
    return name.lower() == "id" or name.lower().endswith("_id")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".jsonl", ".parquet", ".avro"):
        name = name.removesuffix(suffix)
    return name


def render(value: Any, indent: int = 0, lead: int = 0) -> str:
    """JSON with what fits in WIDTH on one line (after `lead` characters of its key),
    longer objects a key a line, and long lists of plain values wrapped."""
    flat = json.dumps(value, ensure_ascii=False, default=_plain)
    if len(flat) + indent + lead <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict) and all(not isinstance(v, (dict, list)) for v in value.values()):
        return "{\n" + _wrapped([f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v)}"
                                  for k, v in value.items()], pad) + "\n" + " " * indent + "}"
    if isinstance(value, dict):
        keys = [json.dumps(k, ensure_ascii=False) for k in value]
        items = [f"{pad}{k}: {render(v, indent + 2, len(k) + 2)}"
                 for k, v in zip(keys, value.values(), strict=True)]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if all(not isinstance(v, (dict, list)) for v in value):
        items = [json.dumps(v, ensure_ascii=False, default=_plain) for v in value]
        return "[\n" + _wrapped(items, pad) + "\n" + " " * indent + "]"
    items = [pad + render(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _wrapped(items: list[str], pad: str) -> str:
    """Items joined by commas, as many to a line as fit in WIDTH."""
    lines, line = [], ""
    for item in items:
        if line and len(pad) + len(line) + len(item) + 2 > WIDTH:
            lines.append(line)
            line = ""
        line = f"{line}, {item}" if line else item
    lines.append(line)
    return ",\n".join(pad + ln for ln in lines)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")

"""Load a schema file into a `Dataset`, reporting every problem in the file at once."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from services.schema.errors import Problem, SchemaError
from services.schema.fields import (
    BOOLEAN,
    FIELD_TYPES,
    FLOAT,
    INTEGER,
    CategoryField,
    DatetimeField,
    Field,
    ParseContext,
)
from services.schema.model import (
    DEFAULT_END,
    DEFAULT_ENTITY_COUNT,
    DEFAULT_START,
    OUTPUT_FORMATS,
    Analysis,
    Dataset,
    OutputSpec,
    TimeWindow,
)
from services.schema.reader import Obj, Problems, describe

COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_schema(path: str | Path) -> Dataset:
    """Read and validate a schema file; raise SchemaError naming every problem."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError([Problem("", "file not found")], source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError([Problem("", f"cannot be read: {exc}")], source) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise SchemaError([Problem("", f"is not valid JSON at {where}: {exc.msg}")],
                          source) from None
    return parse_schema(data, source=source, default_name=path.stem)


def parse_schema(data: Any, *, source: str = "schema", default_name: str = "dataset") -> Dataset:
    problems = Problems()
    top = Obj.of(data, "", problems)
    if top is None:
        raise SchemaError(problems.items, source)
    seed = top.int("seed", None, minimum=0, maximum=2**63 - 1)
    count = top.int("entity_count", DEFAULT_ENTITY_COUNT, minimum=0)
    window = _time_window(top)
    output = _output(top)
    fields = _fields(top)
    analysis = _analysis(top, fields, default_name)
    top.finish()
    if problems:
        raise SchemaError(problems.items, source)
    return Dataset(
        fields=fields, analysis=analysis, seed=seed,
        entity_count=DEFAULT_ENTITY_COUNT if count is None else count,
        time_window=window, output=output, source=source,
    )


def parse_instant(value: Any) -> datetime | None:
    """ISO-8601 date or date-time; aware values are converted to naive UTC."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _time_window(top: Obj) -> TimeWindow:
    obj = top.obj("time_window")
    if obj is None:
        return TimeWindow()
    ends = {}
    for key, default in (("start", DEFAULT_START), ("end", DEFAULT_END)):
        raw = obj.raw(key)
        moment = default if raw is None else parse_instant(raw)
        if moment is None:
            obj.error(key, f"cannot parse {describe(raw)} as a date; accepted: ISO-8601 "
                           "such as 2025-01-01T00:00:00")
        ends[key] = moment
    obj.finish()
    start, end = ends["start"], ends["end"]
    if start is None or end is None:
        return TimeWindow()
    if start >= end:
        obj.error(None, f"start ({start.isoformat()}) must be before end ({end.isoformat()})")
    return TimeWindow(start, end)


def _output(top: Obj) -> OutputSpec:
    obj = top.obj("output")
    if obj is None:
        return OutputSpec()
    fmt = obj.str("format", "csv", choices=OUTPUT_FORMATS) or "csv"
    gzip = obj.bool("gzip", False)
    if gzip and fmt == "parquet":
        obj.error("gzip", "applies to csv and jsonl only (parquet compresses itself)")
    obj.finish()
    return OutputSpec(fmt, gzip)


def _fields(top: Obj) -> tuple[Field, ...]:
    schema = top.obj("schema", required=True)
    if schema is None:
        return ()
    raw_fields = schema.list("fields", required=True, non_empty=True) or []
    schema.finish()
    earlier: dict[str, Field] = {}
    fields: list[Field] = []
    positions: dict[str, int] = {f.get("name"): i for i, f in enumerate(raw_fields)
                                 if isinstance(f, dict) and isinstance(f.get("name"), str)}
    for index, raw in enumerate(raw_fields):
        field = _field(Obj.of(raw, f"schema.fields[{index}]", top.problems), earlier, positions,
                       index)
        if field is not None:
            if field.name in earlier:
                top.problems.add(f"schema.fields[{index}].name",
                                 f"duplicate name {field.name!r}; names must be unique")
            earlier[field.name] = field
            fields.append(field)
    return tuple(fields)


def _field(
    obj: Obj | None, earlier: dict[str, Field], positions: dict[str, int], index: int,
) -> Field | None:
    if obj is None:
        return None
    name = obj.str("name", required=True)
    if name is not None and not COLUMN_NAME.match(name):
        obj.error("name", f"{name!r} is not a valid column name; accepted: letters, digits "
                          "and _, not starting with a digit")
    type_name = obj.str("type", required=True)
    null_prob = obj.number("null_prob", 0.0, minimum=0, maximum=1)
    if type_name is not None and type_name not in FIELD_TYPES:
        obj.error("type", f"unknown type {type_name!r}; accepted: {', '.join(FIELD_TYPES)}")
        return None
    if type_name is None:
        return None
    base = {"name": name or f"field_{index}", "null_prob": float(null_prob or 0.0)}
    field = FIELD_TYPES[type_name].parse(obj, base, ParseContext(dict(earlier)))
    obj.finish()
    for ref in field.reads:
        if ref in earlier:
            continue
        where = positions.get(ref)
        if where is None:
            obj.error(None, f"reads unknown field {ref!r}; known so far: "
                            f"{', '.join(earlier) or 'none'}")
        else:
            obj.error(None, f"reads {ref!r}, which is declared later (schema.fields[{where}]); "
                            "derived fields may only read fields declared before them")
    return field


def _analysis(top: Obj, fields: tuple[Field, ...], default_name: str) -> Analysis:
    by_kind = _defaults(fields)
    obj = top.obj("analysis")
    if obj is None:
        return Analysis(default_name, **by_kind)
    names = {f.name for f in fields}

    def names_at(key: str) -> tuple[str, ...]:
        raw = obj.list(key)
        if raw is None:
            return by_kind[key]
        picked = []
        for i, item in enumerate(raw):
            if not isinstance(item, str):
                obj.problems.add(f"analysis.{key}[{i}]", f"must be a field name, got "
                                                          f"{describe(item)}")
            elif item not in names:
                obj.problems.add(f"analysis.{key}[{i}]", f"names no field: {item!r}; fields: "
                                                          f"{', '.join(sorted(names))}")
            else:
                picked.append(item)
        return tuple(picked)

    name = obj.str("name", default_name) or default_name
    timestamp = obj.str("timestamp_field", by_kind["timestamp_field"])
    if obj.has("timestamp_field") and timestamp is not None and timestamp not in names:
        obj.error("timestamp_field", f"names no field: {timestamp!r}; fields: "
                                     f"{', '.join(sorted(names))}")
    analysis = Analysis(
        name=name,
        timestamp_field=timestamp,
        dimensions=names_at("dimensions"),
        numeric_fields=names_at("numeric_fields"),
        boolean_fields=names_at("boolean_fields"),
        currency=obj.str("currency", None),
    )
    obj.finish()
    return analysis


def _defaults(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The `analysis` entries derived from field types when the file leaves them out."""
    datetimes = [f.name for f in fields if isinstance(f, DatetimeField)]
    return {
        "timestamp_field": datetimes[0] if datetimes else None,
        "dimensions": tuple(f.name for f in fields if isinstance(f, CategoryField)),
        "numeric_fields": tuple(f.name for f in fields
                                if f.type_name in ("int", "float") and f.kind in (INTEGER, FLOAT)),
        "boolean_fields": tuple(f.name for f in fields
                                if f.type_name == "bool" and f.kind == BOOLEAN),
    }

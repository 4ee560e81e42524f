"""Load a schema file into a `Dataset`, reporting every problem in the file at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from services.schema.correlations import Correlation, parse_correlations
from services.schema.entities import Entities, parse_entities
from services.schema.errors import Problem, SchemaError
from services.schema.faults import read_faults
from services.schema.field_list import Declared, parse_field_list
from services.schema.fields import DatetimeField
from services.schema.instants import INSTANT_EXAMPLES, parse_instant
from services.schema.json_text import read_json
from services.schema.lifecycle import bind_lifecycle
from services.schema.measures import default_measures, parse_measures
from services.schema.model import (
    DEFAULT_ENTITY_COUNT,
    OUTPUT_FORMATS,
    SELF_COMPRESSED,
    Analysis,
    Dataset,
    OutputSpec,
    TimeWindow,
)
from services.schema.reader import Obj, Problems, describe
from services.schema.roles import misfit, role_defaults
from services.schema.timeline import parse_timeline, with_label


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
    data = read_json(text, source)
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
    entities = parse_entities(top)
    declared, correlations = _fields(top, entities)
    lifecycle, declared = bind_lifecycle(entities.parsed, declared, problems)
    timeline = parse_timeline(top, declared, window, _timestamp_of(top, declared),
                              correlations)
    declared = with_label(declared, timeline)  # analysis may read it
    analysis = _analysis(top, declared, default_name)
    faults = read_faults(top)
    top.finish(alone=False)
    if problems:
        raise SchemaError(problems.items, source)
    dataset = Dataset(
        fields=declared.fields, analysis=analysis, seed=seed,
        entity_count=DEFAULT_ENTITY_COUNT if count is None else count,
        time_window=window, output=output, source=source, entities=entities.parsed,
        faults=faults, correlations=correlations, timeline=timeline,
        lifecycle=lifecycle,
    )
    silent = silent_profiles(dataset)
    if silent:
        raise SchemaError(silent, source)
    return dataset


def silent_profiles(dataset: Dataset) -> list[Problem]:
    """Seasonality profiles that give every hour inside the time window weight 0 (say only
    night hours, in a window of one afternoon): such a field could draw no time at all.
    Judged once the window and the fields are both known, so before any run."""
    window = dataset.time_window
    lists = [("schema.fields", dataset.fields)]
    lists += [(f"entities.{e.name}.fields", e.fields) for e in dataset.entities]
    return [Problem(f"{where}[{index}].profile",
                    f"every hour inside time_window ({window.start.isoformat()} to "
                    f"{window.end.isoformat()}) has weight 0")
            for where, fields in lists for index, field in enumerate(fields)
            if isinstance(field, DatetimeField) and field.mode == "seasonality"
            and not field.profile.weighs_any(window.start, window.end)]


def _time_window(top: Obj) -> TimeWindow:
    """Both ends when the file gives a window: a default for the missing one would be a
    window the user never wrote."""
    obj = top.obj("time_window")
    if obj is None:
        return TimeWindow()
    start, end = _window_end(obj, "start"), _window_end(obj, "end")
    obj.finish()
    if start is None or end is None:
        return TimeWindow()
    if start >= end:
        obj.error(None, f"start ({_shown(obj.data['start'], start)}) must be before end "
                        f"({_shown(obj.data['end'], end)})")
    return TimeWindow(start, end)


def _window_end(obj: Obj, key: str) -> datetime | None:
    if not obj.present(key, True, f"a time_window gives both start and end, such as "
                                  f"{INSTANT_EXAMPLES}"):
        return None
    moment = parse_instant(obj.data[key], end=key == "end")
    if moment is None:
        obj.error(key, f"cannot parse {describe(obj.data[key])} as a date; accepted: ISO-8601 "
                       f"such as {INSTANT_EXAMPLES}")
    return moment


def _shown(raw: str, moment: datetime) -> str:
    """The instant as written, and as read when that differs (a date alone, an offset)."""
    return raw if raw.strip() == moment.isoformat() else f"{raw!r} = {moment.isoformat()} UTC"


def _output(top: Obj) -> OutputSpec:
    obj = top.obj("output")
    if obj is None:
        return OutputSpec()
    fmt = obj.str("format", "csv", choices=OUTPUT_FORMATS) or "csv"
    gzip = obj.bool("gzip", False)
    if gzip and fmt in SELF_COMPRESSED:
        obj.error("gzip", f"applies to csv and jsonl only ({fmt} compresses itself)")
    obj.finish()
    return OutputSpec(fmt, gzip)


def _fields(top: Obj, entities: Entities) -> tuple[Declared, tuple[Correlation, ...]]:
    schema = top.obj("schema", required=True)
    raw_fields = schema.list("fields", required=True, non_empty=True) if schema else None
    if raw_fields is None:
        if schema is not None:
            schema.raw("correlations")  # not judged without fields to name
            schema.finish()
        return Declared((), frozenset(), readable=False), ()
    declared = parse_field_list(raw_fields, "schema.fields", top.problems, entities.context())
    correlations = parse_correlations(schema, declared)
    schema.finish()
    return declared, correlations


def _timestamp_of(top: Obj, declared: Declared) -> str | None:
    """The analysis section's timestamp field as given, else its default (judged there)."""
    raw = top.data.get("analysis")
    if isinstance(raw, dict) and "timestamp_field" in raw:
        given = raw["timestamp_field"]
        return given if isinstance(given, str) else None
    return role_defaults(declared.fields)["timestamp_field"]


def _analysis(top: Obj, declared: Declared, default_name: str) -> Analysis:
    defaults = role_defaults(declared.fields)
    obj = top.obj("analysis")
    if obj is None:
        analysis = Analysis(default_name, **defaults)
        kinds = _numeric_kinds(analysis, declared)
        return replace(analysis, measures=default_measures(tuple(kinds), kinds, None))

    def names_at(key: str) -> tuple[str, ...]:
        raw = obj.list(key)
        if raw is None:
            return defaults[key]
        return tuple(item for i, item in enumerate(raw)
                     if _fills(obj.problems, f"analysis.{key}[{i}]", key, item, declared))

    timestamp = obj.str("timestamp_field", defaults["timestamp_field"])
    if obj.has("timestamp_field") and timestamp is not None:
        _fills(obj.problems, obj.at("timestamp_field"), "timestamp_field", timestamp, declared)
    analysis = Analysis(
        name=obj.str("name", default_name) or default_name,
        timestamp_field=timestamp,
        dimensions=names_at("dimensions"),
        numeric_fields=names_at("numeric_fields"),
        boolean_fields=names_at("boolean_fields"),
        currency=obj.str("currency", None),
    )
    measures = parse_measures(obj, _numeric_kinds(analysis, declared), declared.names,
                              analysis.currency)
    obj.finish()
    return replace(analysis, measures=measures)


def _numeric_kinds(analysis: Analysis, declared: Declared) -> dict[str, str]:
    """The numeric fields a measure may read, with their value kinds."""
    fields = {n: declared.field(n) for n in analysis.numeric_fields}
    return {n: f.role_kind for n, f in fields.items() if f is not None}


def _fills(problems: Problems, path: str, role: str, name: Any, declared: Declared) -> bool:
    """Whether `name` names a field that can fill `role`; reports why not."""
    if not isinstance(name, str):
        problems.add(path, f"must be a field name, got {describe(name)}")
        return False
    if not declared.readable:  # no field could be read: no name can be checked
        return False
    if name not in declared.names:
        problems.add(path, f"names no field: {name!r}; fields: "
                           f"{', '.join(sorted(declared.names))}")
        return False
    field = declared.field(name)
    reason = misfit(role, field, declared.fields) if field is not None else None
    if reason:
        problems.add(path, reason)
    return field is not None and reason is None

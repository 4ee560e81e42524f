"""The scenario timeline: dated segments over the time window that change how many rows
happen when (a trend, bursts, outages) and what they hold (drift, labelled anomalies).

Every period is half-open, [start, end): a burst from 12:00 to 13:00 is that hour, and a
date alone is its first second. Rates multiply where segments overlap (a burst inside a
trend); an outage wins over everything. A drift holds from its date to the end of the
window (a later drift of the same field takes over from its own date). Anomaly periods may
not overlap one another, so that each labelled row has one origin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

from services.schema.correlations import Correlation
from services.schema.field_list import COLUMN_NAME, Declared
from services.schema.fields import (
    BoolField,
    CategoryField,
    DatetimeField,
    Field,
    FloatField,
    IntField,
)
from services.schema.instants import INSTANT_EXAMPLES, parse_instant
from services.schema.model import TimeWindow
from services.schema.reader import Obj, describe
from services.schema.values import parse_choices, text_of

DRIFTING = (IntField, FloatField, CategoryField, BoolField)
DRIFT_KEYS = "int and float: a distribution with its keys; category: choices; bool: p_true"


@dataclass(frozen=True)
class Trend:
    """The rate grows by `percent_per_day` % a day (compounded) from start, up to end (or
    the window's end); after end it stays where it got to."""

    start_s: int
    end_s: int | None
    percent_per_day: float


@dataclass(frozen=True)
class Burst:
    start_s: int
    end_s: int
    factor: float


@dataclass(frozen=True)
class Outage:
    start_s: int
    end_s: int


@dataclass(frozen=True)
class Drift:
    """From start on, the field is drawn as `model` (the field with other parameters)."""

    start_s: int
    model: Field


@dataclass(frozen=True)
class Anomaly:
    """In [start, end), each row is anomalous with probability `fraction`: its `models`'
    fields are drawn from those models instead, and the label column is true."""

    start_s: int
    end_s: int
    fraction: float
    models: tuple[Field, ...]


@dataclass(frozen=True)
class Timeline:
    field: str  # the datetime field that says when a row happens
    trends: tuple[Trend, ...] = ()
    bursts: tuple[Burst, ...] = ()
    outages: tuple[Outage, ...] = ()
    drifts: tuple[Drift, ...] = ()  # in order of start
    anomalies: tuple[Anomaly, ...] = ()
    label: str | None = None  # the boolean column true on anomalous rows

    @property
    def shapes_rate(self) -> bool:
        return bool(self.trends or self.bursts or self.outages)

    @property
    def shapes_rows(self) -> bool:
        """Whether some field's draw depends on the row's time."""
        return bool(self.drifts or self.anomalies)

    def drifts_of(self, name: str) -> tuple[Drift, ...]:
        return tuple(d for d in self.drifts if d.model.name == name)

    @property
    def timed_fields(self) -> frozenset[str]:
        """The fields whose draws read the row's time."""
        names = {d.model.name for d in self.drifts}
        names.update(m.name for a in self.anomalies for m in a.models)
        return frozenset(names)


def epoch(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


class _Reader:
    """Parses the section against the window and the declared fields."""

    def __init__(self, obj: Obj, window: TimeWindow, declared: Declared) -> None:
        self.obj, self.declared = obj, declared
        self.low, self.high = epoch(window.start), epoch(window.end) + 1  # [low, high)
        self.window = window

    def instant(self, obj: Obj, key: str, required: bool = True) -> int | None:
        if not obj.present(key, required, f"a date or date-time such as {INSTANT_EXAMPLES}"):
            return None
        moment = parse_instant(obj.data[key])
        if moment is None:
            obj.error(key, f"cannot parse {describe(obj.data[key])} as a date; accepted: "
                           f"ISO-8601 such as {INSTANT_EXAMPLES}")
            return None
        seconds = epoch(moment)
        if not self.low <= seconds <= self.high:
            obj.error(key, f"{moment.isoformat()} is outside time_window "
                           f"({self.window.start.isoformat()} to {self.window.end.isoformat()})")
            return None
        return seconds

    def period(self, obj: Obj, start_key: str = "start", end_key: str = "end",
               end_required: bool = True) -> tuple[int | None, int | None]:
        start = self.instant(obj, start_key)
        end = self.instant(obj, end_key, end_required)
        if start is not None and end is not None and end <= start:
            obj.error(end_key, f"must be after {start_key} ({describe(obj.data[start_key])}), "
                               f"got {describe(obj.data[end_key])}")
            return start, None
        return start, end

    def items(self, key: str) -> list[Obj]:
        raw = self.obj.list(key) or []
        found = [Obj.of(item, f"{self.obj.at(key)}[{i}]", self.obj.problems)
                 for i, item in enumerate(raw)]
        return [item for item in found if item is not None]

    def field(self, obj: Obj, name: Any, key: str = "field") -> Field | None:
        """The declared field `name` names, if it can drift; reports why not."""
        where = obj.at(key)
        if not isinstance(name, str):
            obj.problems.add(where, f"must be a field name, got {describe(name)}")
            return None
        field = self.declared.field(name)
        if field is None:
            if name not in self.declared.names:
                obj.problems.add(where, f"names no field: {name!r}; fields: "
                                        f"{', '.join(sorted(self.declared.names))}")
            return None
        reason = _cannot_drift(field)
        if reason:
            obj.problems.add(where, f"{name!r} {reason}")
            return None
        return field

    def model(self, obj: Obj, field: Field) -> Field:
        """The field with the parameters `obj` gives instead of its own."""
        base = {"name": field.name, "null_prob": field.null_prob}
        if isinstance(field, (IntField, FloatField)):
            model = type(field).parse_margin(obj, base)
            return replace(model, decimals=field.decimals) if isinstance(field, FloatField) \
                else model
        if isinstance(field, BoolField):
            return BoolField(**base, p_true=obj.number("p_true", 0.5, minimum=0, maximum=1)
                             or 0.0)
        choices = parse_choices(obj.raw("choices"), obj.at("choices"), obj)
        known = set(field.known_values)
        for i, choice in enumerate(choices):
            if text_of(choice.value) not in known:
                obj.problems.add(f"{obj.at('choices')}[{i}]",
                                 f"{describe(choice.value)} is not a value of {field.name!r}; "
                                 f"its values: {', '.join(sorted(known))}")
        return replace(field, choices=choices)


def _cannot_drift(field: Field) -> str | None:
    if not isinstance(field, DRIFTING):
        return (f"is a {field.type_name} field, which cannot drift; accepted: int, float, "
                "category, bool")
    if getattr(field, "conditional_on", None):
        return (f"has a conditional_table (per level of {field.conditional_on!r}), which "
                "cannot drift; drift the level it reads instead")
    return None


def parse_timeline(top: Obj, declared: Declared, window: TimeWindow,
                   timestamp_field: str | None,
                   correlations: tuple[Correlation, ...] = ()) -> Timeline | None:
    obj = top.obj("timeline")
    if obj is None:
        return None
    reader = _Reader(obj, window, declared)
    time_field = _time_field(obj, declared, timestamp_field)
    trends = [_trend(reader, item) for item in reader.items("trends")]
    bursts = [_burst(reader, item) for item in reader.items("bursts")]
    outages = [_outage(reader, item) for item in reader.items("outages")]
    drifts = _drifts(reader)
    anomalies = [(item.path, _anomaly(reader, item)) for item in reader.items("anomalies")]
    label = _label(obj, declared, bool(anomalies))
    obj.finish()
    timeline = Timeline(time_field or "", tuple(t for t in trends if t),
                        tuple(b for b in bursts if b), tuple(o for o in outages if o),
                        drifts, tuple(a for _, a in anomalies if a), label)
    _check_overlaps(obj, [(path, a) for path, a in anomalies if a])
    _check_whole(obj, reader, timeline, correlations)
    return timeline


def _time_field(obj: Obj, declared: Declared, default: str | None) -> str | None:
    """The time field; the default (analysis.timestamp_field) is judged in analysis."""
    given = obj.has("field")
    name = obj.str("field", default)
    if name is None:
        if not given:
            obj.error("field", "is required (the datetime field that says when a row "
                               "happens): the schema has no analysis.timestamp_field")
        return None
    field = declared.field(name)
    if field is None:
        if given and name not in declared.names:
            obj.error("field", f"names no field: {name!r}; fields: "
                               f"{', '.join(sorted(declared.names))}")
        return None
    if not isinstance(field, DatetimeField):
        if given:
            obj.error("field", f"{name!r} is a {field.type_name} field; the timeline's field "
                               "must be a datetime")
        return None
    return name


def with_label(declared: Declared, timeline: Timeline | None) -> Declared:
    """The fields with the timeline's label column after them (a boolean, never null)."""
    if timeline is None or not timeline.label:
        return declared
    label = BoolField(timeline.label, 0.0)
    return replace(declared, fields=(*declared.fields, label),
                   names=declared.names | {timeline.label})


def _trend(reader: _Reader, obj: Obj) -> Trend | None:
    start, end = reader.period(obj, "from", "until", end_required=False)
    percent = obj.number("percent_per_day", required=True, above=-100)
    obj.finish()
    if start is None or percent is None or (obj.has("until") and end is None):
        return None
    return Trend(start, end, float(percent))


def _burst(reader: _Reader, obj: Obj) -> Burst | None:
    start, end = reader.period(obj)
    factor = obj.number("factor", required=True, above=0)
    obj.finish()
    if start is None or end is None or factor is None:
        return None
    return Burst(start, end, float(factor))


def _outage(reader: _Reader, obj: Obj) -> Outage | None:
    start, end = reader.period(obj)
    obj.finish()
    return None if start is None or end is None else Outage(start, end)


def _drifts(reader: _Reader) -> tuple[Drift, ...]:
    drifts: list[Drift] = []
    seen: dict[tuple[str, int], str] = {}
    for obj in reader.items("drifts"):
        field = reader.field(obj, obj.raw("field"))
        start = reader.instant(obj, "from")
        model = reader.model(obj, field) if field is not None else None
        if field is None:
            obj.waive_rest()  # the field's type decides which keys belong here
        obj.finish()
        if model is None or start is None:
            continue
        if (field.name, start) in seen:
            obj.error("from", f"{field.name!r} already drifts from this date at "
                              f"{seen[field.name, start]}; give one drift per field and date")
            continue
        seen[field.name, start] = obj.path
        drifts.append(Drift(start, model))
    return tuple(sorted(drifts, key=lambda d: d.start_s))


def _anomaly(reader: _Reader, obj: Obj) -> Anomaly | None:
    start, end = reader.period(obj)
    fraction = obj.number("fraction", required=True, above=0, maximum=1)
    raw = obj.obj("fields", required=True)
    models = []
    if raw is not None:
        if not raw.data:
            raw.error(None, "must name at least one field, each with its anomalous "
                            f"distribution ({DRIFT_KEYS})")
        for name, spec in raw.data.items():
            raw.raw(name)
            field = reader.field(raw, name, name)
            sub = Obj.of(spec, raw.at(name), raw.problems)
            if field is not None and sub is not None:
                models.append(reader.model(sub, field))
                sub.finish()
        raw.finish()
    obj.finish()
    if start is None or end is None or fraction is None or not models:
        return None
    return Anomaly(start, end, float(fraction), tuple(models))


def _label(obj: Obj, declared: Declared, needed: bool) -> str | None:
    if not obj.present("label", needed, "the name of the boolean column true on anomalous "
                                        "rows, so that a detector can be scored"):
        return None
    name = obj.data["label"]
    if not isinstance(name, str) or not COLUMN_NAME.match(name):
        obj.error("label", f"{describe(name)} is not a valid column name; accepted: letters, "
                           "digits and _, not starting with a digit")
        return None
    if name in declared.names:
        obj.error("label", f"{name!r} is already a field; the label column needs a name of "
                           "its own")
        return None
    if not needed:
        obj.error("label", "applies only with anomalies")
        return None
    return name


def _check_overlaps(obj: Obj, anomalies: list[tuple[str, Anomaly]]) -> None:
    """A row must have one origin: anomaly periods may not overlap."""
    ordered = sorted(anomalies, key=lambda item: item[1].start_s)
    for (before_path, before), (path, anomaly) in pairwise(ordered):
        if anomaly.start_s < before.end_s:
            obj.problems.add(path, f"overlaps {before_path}; a row must have one origin, so "
                                   "anomaly periods may not overlap")


def _check_whole(obj: Obj, reader: _Reader, timeline: Timeline,
                 correlations: tuple[Correlation, ...]) -> None:
    """What only the segments together show: no time left, a time drawn too late."""
    stretches = _open_stretches(timeline.outages, reader.low, reader.high)
    field = reader.declared.field(timeline.field)
    if not stretches:
        obj.error("outages", "cover the whole time_window: no row could happen")
    elif isinstance(field, DatetimeField) and field.mode == "seasonality" and not any(
            field.profile.weighs_any(_moment(a), _moment(b - 1)) for a, b in stretches):
        obj.error("outages", f"leave only hours that the profile of {field.name!r} weighs "
                             "0: no row could happen")
    late = [c for c in correlations if c.lookup and timeline.field in c.fields]
    if late and timeline.shapes_rows:
        obj.error("field", f"{timeline.field!r} is in a correlations block with a lookup, so "
                           "it is drawn after that lookup; drifts and anomalies need the "
                           "row's time first: take it out of the block")


def _open_stretches(outages: tuple[Outage, ...], low: int, high: int) -> list[tuple[int, int]]:
    """The stretches [a, b) of [low, high) outside every outage."""
    stretches, at = [], low
    for outage in sorted(outages, key=lambda o: o.start_s):
        if outage.start_s > at:
            stretches.append((at, outage.start_s))
        at = max(at, outage.end_s)
    if at < high:
        stretches.append((at, high))
    return stretches


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)

"""One column's field, decided from its values alone, in a fixed order: bool, uuid, whole
numbers (id_sequence, epoch datetime, category, int), decimals (category, float), datetime
text, category (values that repeat), pattern, Faker, random text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.numbers import decimals_of, fit_float, fit_int
from services.infer.samples import Text
from services.infer.stats import significant
from services.infer.strings import (
    CATEGORY_MAX,
    CATEGORY_SHARE,
    LEVELS_MAX,
    OTHER,
    Counts,
    all_match,
    faker_provider,
    pattern_of,
    text_category,
    weighted,
)
from services.infer.times import Times, parse_times

BOOL_PAIRS = (("true", "false"), ("yes", "no"), ("y", "n"), ("t", "f"), ("1", "0"))
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
INTEGER = r"^[+-]?(0|[1-9][0-9]{0,17})$"  # a leading zero makes a code, not a number
GEO_OBJECT = r'^\{"lat": ?(?P<lat>-?[0-9.]+), ?"lon": ?(?P<lon>-?[0-9.]+)\}$'
GEO_TEXT = r"^(?P<lat>-?[0-9]+\.[0-9]+),(?P<lon>-?[0-9]+\.[0-9]+)$"
PROBE_ROWS = 65_536  # values looked at to rule out a category
PROBE_SLACK = 0.1  # the probe may cover this much less than a category needs
DECIMAL = r"^[+-]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


@dataclass
class Column:
    """What was inferred for one column. `labels` (text categories and bools) is each row's
    value as the generator writes it, for finding dependencies between columns."""

    name: str
    field: dict[str, Any]
    labels: Text | None = None
    times: Times | None = None
    value_of: dict[str, Any] = field(default_factory=dict)  # a category's text -> value
    numeric: bool = False  # a lookup whose entity attribute holds numbers
    notes: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.field["type"]


def is_number_category(column: Column) -> bool:
    """A category whose every value is a number (no "(other)" bucket): the generator can
    draw it from a correlations block's u, in the order of its values."""
    return column.type == "category" and bool(column.value_of) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in column.value_of.values()) and all(
        isinstance(c["value"], (int, float)) for c in column.field.get("choices", ()))


def detect(name: str, text: Text) -> Column:
    values = text.drop_null()
    column = _detect_values(name, values, text)
    null_prob = text.null_count / len(text) if len(text) else 0.0
    if null_prob > 0:
        column.field["null_prob"] = float(f"{null_prob:.4g}")
    return column


def _detect_values(name: str, values: Text, text: Text) -> Column:
    if len(values) == 0:
        return Column(name, {"name": name, "type": "category",
                             "choices": [{"value": "", "weight": 1}]},
                      notes=["every value is empty"])
    counts = _counts(values)
    distinct = counts.values if counts else values
    if counts and (col := _bool(name, counts, text)) is not None:
        return col
    if all_match(distinct, UUID):
        return Column(name, {"name": name, "type": "uuid"})
    if (col := _geo(name, distinct)) is not None:
        return col
    if all_match(distinct, INTEGER):
        return _whole_numbers(name, values, counts)
    if all_match(distinct, DECIMAL):
        return _decimals(name, values, distinct, counts)
    times = parse_times(values)
    if times is not None:
        return Column(name, {"name": name, "type": "datetime", "format": times.format},
                      times=times)
    if counts and (category := text_category(counts)) is not None:
        return _text_category(name, *category, counts, text)
    if (pattern := pattern_of(values)) is not None:
        return Column(name, {"name": name, "type": "string", "pattern": pattern},
                      notes=["values (nearly) all distinct, of one shape"])
    if (provider := faker_provider(distinct)) is not None:
        return Column(name, {"name": name, "type": "faker", "provider": provider},
                      notes=[f"values shaped like Faker's {provider}"])
    width = int(pc.max(pc.utf8_length(values)).as_py())
    return Column(name, {"name": name, "type": "faker", "provider": "pystr",
                         "args": {"min_chars": 1, "max_chars": width}},
                  notes=["many values of no one shape"])


def _counts(values: Text) -> Counts | None:
    """Value counts when they can matter: few distinct values, or values that repeat.
    Counting a column of mostly distinct values is costly: a probe of its first rows
    rules that out first."""
    probe = Counts.of(values.slice(0, PROBE_ROWS))
    if len(probe) > CATEGORY_MAX and probe.repeated_share() < CATEGORY_SHARE - PROBE_SLACK:
        return None
    return probe if len(values) <= PROBE_ROWS else Counts.of(values)


def _text_category(name: str, choices: list, kept: int, counts: Counts,
                   text: Text) -> Column:
    """A text category; with an OTHER bucket it has no labels (its text is not what the
    generator writes for the values in the bucket)."""
    if kept == len(counts):
        return Column(name, {"name": name, "type": "category", "choices": choices},
                      labels=text)
    why = f"the {LEVELS_MAX} most common" if kept == LEVELS_MAX else \
        f"the {kept} seen twice or more"
    return Column(name, {"name": name, "type": "category", "choices": choices},
                  notes=[f"{why} of {len(counts)} values by name, the rest as {OTHER}"])


def _geo(name: str, distinct: Text) -> Column | None:
    """Points as the generator writes them: {"lat": .., "lon": ..} or "lat,lon"."""
    for regex, as_object in ((GEO_OBJECT, True), (GEO_TEXT, False)):
        if not all_match(distinct, regex):
            continue
        parts = pc.extract_regex(distinct, regex)
        lat_text, lon_text = pc.struct_field(parts, "lat"), pc.struct_field(parts, "lon")
        lat, lon = (t.cast(pa.float64()).to_numpy() for t in (lat_text, lon_text))
        if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):
            return None
        bbox = [float(np.floor(lat.min())), float(np.floor(lon.min())),
                float(np.ceil(lat.max())), float(np.ceil(lon.max()))]
        if bbox[0] == bbox[2] or bbox[1] == bbox[3]:
            return None
        spec = {"name": name, "type": "geo", "bbox": [significant(b) for b in bbox],
                "precision": max(decimals_of(lat_text) or 0, decimals_of(lon_text) or 0)}
        if not as_object:
            spec["as_object"] = False
        return Column(name, spec, notes=["points spread evenly over their bounding box"])
    return None


def _bool(name: str, counts: Counts, text: Text) -> Column | None:
    if len(counts) > 2:
        return None
    lower = [str(v).lower() for v in counts.values.to_pylist()]
    pair = next((p for p in BOOL_PAIRS if set(lower) <= set(p)), None)
    if pair is None or (len(lower) == 1 and pair[0] == "1"):  # a lone 1 or 0 is a number
        return None
    truthy = pc.equal(pc.utf8_lower(text), pair[0])
    p_true = significant(counts.counts[np.array(lower) == pair[0]].sum() / counts.counts.sum())
    notes = [] if pair[0] == "true" else [f"{pair[0]}/{pair[1]} in the sample, written as "
                                          "true/false"]
    labels = pc.if_else(truthy, "true", "false")
    return Column(name, {"name": name, "type": "bool", "p_true": p_true}, labels=labels,
                  notes=notes)


def _whole_numbers(name: str, values: Text, counts: Counts | None) -> Column:
    ints = values.cast(pa.int64()).to_numpy()
    steps = np.diff(ints)
    if len(ints) > 2 and steps[0] and np.all(steps == steps[0]):
        return Column(name, {"name": name, "type": "id_sequence", "start": int(ints[0]),
                             "step": int(steps[0])})
    times = parse_times(values, ints)
    if times is not None:
        return Column(name, {"name": name, "type": "datetime", "format": times.format},
                      times=times)
    if counts and counts.few_numbers():
        return _number_category(name, counts, pa.int64(), "whole numbers")
    fit = fit_int(ints)
    return Column(name, {"name": name, "type": "int", **_distribution(fit.family, "uniform"),
                         **fit.params}, notes=[fit.note()])


def _number_category(name: str, counts: Counts, kind: pa.DataType, what: str) -> Column:
    """A few distinct numbers: a category of those numbers, keeping their JSON type."""
    numbers = counts.values.cast(kind).to_pylist()
    return Column(name, {"name": name, "type": "category",
                         "choices": weighted(numbers, counts.counts)},
                  notes=[f"{len(counts)} distinct {what}"],
                  value_of=dict(zip(counts.values.to_pylist(), numbers, strict=True)))


def _decimals(name: str, values: Text, distinct: Text, counts: Counts | None) -> Column:
    if counts and counts.few_numbers():
        return _number_category(name, counts, pa.float64(), "numbers")
    decimals = decimals_of(distinct)
    fit = fit_float(values.cast(pa.float64()).to_numpy(), decimals)
    spec = {"name": name, "type": "float", "distribution": fit.family, **fit.params}
    if decimals is not None:
        spec["decimals"] = decimals
    return Column(name, spec, notes=[fit.note()])


def _distribution(family: str, default: str) -> dict[str, str]:
    return {} if family == default else {"distribution": family}

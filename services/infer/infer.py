"""From a sample to a schema file: every column alone, then the relations between them:
entities, derived and conditional labels, numbers per level of a category, correlated
numbers; a lifecycle when the rows are episodes' steps (services.infer.episodes), and a
trend when the daily volume grows or shrinks steadily (services.infer.trend)."""

from __future__ import annotations

import logging

from services.infer.dependencies import find_dependencies
from services.infer.detect import Column, detect
from services.infer.entities import find_entities, owner_entity
from services.infer.episodes import find_roles
from services.infer.joint import find_correlations, find_per_level
from services.infer.lifecycle import learn
from services.infer.owner import attach_lifecycle
from services.infer.samples import Sample
from services.infer.schema_out import apply_time_window, build_schema
from services.infer.times import Times
from services.infer.trend import detrended, fit_trend
from services.schema import SchemaError, parse_schema

log = logging.getLogger("infer")


def infer_schema(sample: Sample, name: str | None = None) -> dict:
    roles = find_roles(sample.columns, sample.rows)
    learned = learn(sample, roles) if roles is not None else None
    if learned is None:
        return _flat(sample, name)
    doc = _flat(learned.starts, name, learned.span)
    attach_lifecycle(doc, learned, roles)
    try:
        parse_schema(doc)
    except SchemaError as exc:
        log.warning("the rows look like episodes of %s moving by %s, but the lifecycle "
                    "learned is refused (%s): inferred as flat rows", roles.id, roles.state,
                    str(exc).splitlines()[0])
        return _flat(sample, name)
    return doc


def _flat(sample: Sample, name: str | None, span: tuple[int, int] | None = None) -> dict:
    """The schema of independent rows; `span`: the window must reach these seconds too
    (the rows of episodes whose starts are the sample)."""
    columns = [detect(name_, text) for name_, text in sample.columns.items()]
    entities = find_entities(columns, sample.columns)
    if span is not None and not entities:  # the episodes' starts: their owner's entity
        entities = owner_entity(columns, sample.columns)
    find_dependencies(columns, sample.columns)
    when = next((c for c in columns if c.type == "datetime" and c.times is not None
                 and c.times.has_clock), None)
    found = fit_trend(when.times.seconds) if when is not None else None
    window = _seasons(columns, when, found)  # before the correlations: a seasonal time has none
    if window is not None and span is not None:
        window = _widened(window, span)
    numbers = find_per_level(columns, sample.columns, sample.rows)
    correlations = find_correlations(columns, sample.columns, numbers)
    doc = build_schema(sample, columns, name, window, entities, correlations)
    if found is not None and window is not None:
        doc["timeline"] = {"field": when.name, "trends": [
            {"from": doc["time_window"]["start"], "percent_per_day": found[0]}]}
    return doc


def _seasons(columns: list[Column], when: Column | None, found: tuple | None):
    """apply_time_window, with the trend's column fitted on its rows thinned by the trend
    (its own times back after: the correlations read them by row)."""
    if found is None:
        return apply_time_window(columns)
    times = when.times
    when.times = Times(times.format, detrended(times.seconds, found[0]))
    try:
        window = apply_time_window(columns)
    finally:
        when.times = times
    return _widened(window, (int(times.seconds.min()), int(times.seconds.max())))


def _widened(window: tuple[int, int, bool], span: tuple[int, int]) -> tuple[int, int, bool]:
    low, high, whole_days = window
    step = 86_400 if whole_days else 3600
    last = span[1] - span[1] % step + step - 1
    return min(low, span[0] - span[0] % step), max(high, last), whole_days

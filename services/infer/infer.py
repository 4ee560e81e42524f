"""From a sample to a schema file: every column alone, then the relations between them:
entities, derived and conditional labels, numbers per level of a category, correlated
numbers."""

from __future__ import annotations

from services.infer.dependencies import find_dependencies
from services.infer.detect import detect
from services.infer.entities import find_entities
from services.infer.joint import find_correlations, find_per_level
from services.infer.samples import Sample
from services.infer.schema_out import apply_time_window, build_schema


def infer_schema(sample: Sample, name: str | None = None) -> dict:
    columns = [detect(name_, text) for name_, text in sample.columns.items()]
    entities = find_entities(columns, sample.columns)
    find_dependencies(columns, sample.columns)
    window = apply_time_window(columns)  # before the correlations: a seasonal time has none
    numbers = find_per_level(columns, sample.columns, sample.rows)
    correlations = find_correlations(columns, sample.columns, numbers)
    return build_schema(sample, columns, name, window, entities, correlations)

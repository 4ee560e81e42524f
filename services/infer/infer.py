"""From a sample to a schema file: every column alone, then the relations between them."""

from __future__ import annotations

from services.infer.dependencies import find_dependencies
from services.infer.detect import detect
from services.infer.samples import Sample
from services.infer.schema_out import build_schema


def infer_schema(sample: Sample, name: str | None = None) -> dict:
    columns = [detect(name_, text) for name_, text in sample.columns.items()]
    find_dependencies(columns, sample.columns)
    return build_schema(sample, columns, name)

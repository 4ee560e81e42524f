"""The dataset schema file: strict, typed models and their validation (no numpy, no Spark)."""

from services.schema import links  # noqa: F401 (registers ref, lookup, derived_compare)
from services.schema.errors import Problem, SchemaError
from services.schema.fields import (
    EPOCH_FORMATS,
    EPOCH_MS,
    EPOCH_S,
    FIELD_TYPES,
    DatetimeField,
    Field,
)
from services.schema.loader import load_schema, parse_schema
from services.schema.measures import Measure
from services.schema.model import Analysis, Dataset, Entity, OutputSpec, TimeWindow
from services.schema.values import BOOLEAN, DATETIME, FLOAT, GEO, INTEGER, STRING

__all__ = [
    "BOOLEAN",
    "DATETIME",
    "EPOCH_FORMATS",
    "EPOCH_MS",
    "EPOCH_S",
    "FIELD_TYPES",
    "FLOAT",
    "GEO",
    "INTEGER",
    "STRING",
    "Analysis",
    "Dataset",
    "DatetimeField",
    "Entity",
    "Field",
    "Measure",
    "OutputSpec",
    "Problem",
    "SchemaError",
    "TimeWindow",
    "load_schema",
    "parse_schema",
]

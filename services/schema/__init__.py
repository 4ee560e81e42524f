"""The dataset schema file: strict, typed models and their validation (no numpy, no Spark).

What other packages use: loading (`load_schema`, `parse_schema`) and errors, the `Dataset`
and its parts, and, for the generator that executes them, every field model and the values
they hold (choices, pattern parts, seasonality profiles, Faker's scalars).
"""

from services.schema.columns import MissingColumnError, Roles, normalise_name
from services.schema.correlations import Correlation
from services.schema.errors import Problem, SchemaError
from services.schema.event_schema import (
    EventField,
    avro_schema,
    event_fields,
    json_schema,
    record_fields,
)
from services.schema.faker_check import make_faker, to_scalar
from services.schema.faults import (
    MALFORMED_KINDS,
    MAX_EVENT_BYTES,
    NO_FAULTS,
    Delay,
    FaultSpec,
    Period,
    parse_duration,
    parse_faults,
)
from services.schema.fields import (
    EPOCH_FORMATS,
    EPOCH_MS,
    EPOCH_S,
    FIELD_TYPES,
    BoolField,
    CategoryField,
    DatetimeField,
    DerivedConcatField,
    DerivedMapField,
    FakerField,
    Field,
    FloatField,
    GeoField,
    IdSequenceField,
    IntField,
    StringField,
    UuidField,
)
from services.schema.lifecycle import UNITS as DELAY_UNITS
from services.schema.lifecycle import Lifecycle, State, Timeout, Transition
from services.schema.links import DerivedCompareField, LookupField, Popularity, RefField
from services.schema.loader import load_schema, parse_schema
from services.schema.measures import Measure
from services.schema.model import (
    OUTPUT_FORMATS,
    SELF_COMPRESSED,
    Analysis,
    Dataset,
    Entity,
    OutputSpec,
    TimeWindow,
)
from services.schema.timeline import Anomaly, Burst, Drift, Outage, Timeline, Trend
from services.schema.values import (
    BOOLEAN,
    DATETIME,
    FLOAT,
    GEO,
    INTEGER,
    STRING,
    Choice,
    PatternPart,
    Profile,
    text_of,
)
from services.schema.windows import (
    SLIDE_S,
    WATERMARK_S,
    WINDOW_S,
    WINDOWS_PER_EVENT,
    spark_interval,
)

__all__ = [
    "BOOLEAN",
    "DATETIME",
    "DELAY_UNITS",
    "EPOCH_FORMATS",
    "EPOCH_MS",
    "EPOCH_S",
    "FIELD_TYPES",
    "FLOAT",
    "GEO",
    "INTEGER",
    "MALFORMED_KINDS",
    "MAX_EVENT_BYTES",
    "NO_FAULTS",
    "OUTPUT_FORMATS",
    "SELF_COMPRESSED",
    "SLIDE_S",
    "STRING",
    "WATERMARK_S",
    "WINDOWS_PER_EVENT",
    "WINDOW_S",
    "Analysis",
    "Anomaly",
    "BoolField",
    "Burst",
    "CategoryField",
    "Choice",
    "Correlation",
    "Dataset",
    "DatetimeField",
    "Delay",
    "DerivedCompareField",
    "DerivedConcatField",
    "DerivedMapField",
    "Drift",
    "Entity",
    "EventField",
    "FakerField",
    "FaultSpec",
    "Field",
    "FloatField",
    "GeoField",
    "IdSequenceField",
    "IntField",
    "Lifecycle",
    "LookupField",
    "Measure",
    "MissingColumnError",
    "Outage",
    "OutputSpec",
    "PatternPart",
    "Period",
    "Popularity",
    "Problem",
    "Profile",
    "RefField",
    "Roles",
    "SchemaError",
    "State",
    "StringField",
    "TimeWindow",
    "Timeline",
    "Timeout",
    "Transition",
    "Trend",
    "UuidField",
    "avro_schema",
    "event_fields",
    "json_schema",
    "load_schema",
    "make_faker",
    "normalise_name",
    "parse_duration",
    "parse_faults",
    "parse_schema",
    "record_fields",
    "spark_interval",
    "text_of",
    "to_scalar",
]

"""Kafka records -> valid events or poison: the one place that says what a valid event is.

Each record gets the first of REASONS that holds, or none: `unknown_schema` (a wire-format
message the registry has no schema for: services.spark.stream_wire), then services.schema's
MALFORMED_KINDS, judged on the event's JSON text (a wire-format event's decoded payload).
Poison goes to the quarantine as it was read (raw bytes, Kafka coordinates, reason), so the
job never stops on it and nothing is dropped unseen; a valid event carries its JSON fields as
text and the id it is deduplicated by: a hash of its Kafka key and its bytes.

Why key and bytes, not the key alone: a duplicate is the same message sent again (same event
id in the key, same bytes), but many producers key by an entity (a card, a product: ours
partitions by the first dimension unless told otherwise), and the key alone would merge
every event of that entity. Key and bytes together remove re-sends and nothing else; a
message without a key is deduplicated by its bytes.

Why a future horizon: the watermark follows the newest event time, so one event from year
9999 would make every later event late, for good (the checkpoint keeps the watermark). An
event further ahead of the newest plausible time than the horizon is `future_time` poison,
quarantined before the watermark sees it. The newest plausible time is the micro-batch's
clock, or the end of the schema's time window when that is later (a dataset of next year,
replayed now). Each query reads the clock at its own micro-batch, so only a time sent within
a micro-batch of the horizon's edge could be judged apart by the ledger and the quarantine.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from services.outputs import QUARANTINE_COLUMNS
from services.schema import MALFORMED_KINDS, MAX_EVENT_BYTES
from services.spark.cleansing import parse_number
from services.spark.event_times import FIRST_MICROS, LAST_MICROS
from services.spark.stream_wire import PAYLOAD, UNKNOWN
from services.spark.trigger_interval import interval_ms

EVENT_ID = "_event_id"
EVENT_TIME = "_event_time"  # the time parsed to judge the event, carried to its window
REASON = "_reason"  # apart from the events' own fields, which may be called anything
KAFKA = "_kafka"  # the record's Kafka coordinates, as the quarantine stores them
_EVENT, _CORRUPT, _BARRIER = "_event", "_not_json", "_parsed_once"
EMPTY, OVERSIZED, NOT_JSON, MISSING_FIELD, BAD_TIME, FUTURE_TIME, TEXT_NUMBER = MALFORMED_KINDS
UNKNOWN_SCHEMA = "unknown_schema"  # in the wire format, but no schema the registry knows
REASONS = (UNKNOWN_SCHEMA, *MALFORMED_KINDS)  # every reason a record is quarantined for
DEFAULT_FUTURE_HORIZON = "1 day"  # STREAM_FUTURE_HORIZON's default
DEFAULT_FUTURE_HORIZON_MS = interval_ms(DEFAULT_FUTURE_HORIZON)

Getter = Callable[[str], Column]
EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=timezone.utc), timedelta(microseconds=1)


@dataclass(frozen=True)
class EventSpec:
    """What a valid event of one mode holds."""

    fields: tuple[str, ...]  # read from the JSON object, each as text
    times: tuple[str, ...]  # event-time fields: missing_field when none has a value
    numbers: tuple[str, ...]  # numeric fields: text_number when one holds other text
    event_time: Callable[[Getter], Column]  # the parsed time; null means bad_time
    window_end: datetime | None = None  # the schema's time window's end (naive UTC)
    horizon_ms: int = DEFAULT_FUTURE_HORIZON_MS  # a time further ahead is future_time

    def too_far_ahead(self, time: Column, now: Column) -> Column:
        """Whether `time` is more than the horizon ahead of `now` and of the window's end
        (a horizon longer than the years 1-9999 sees nothing ahead)."""
        newest = F.unix_micros(now)
        if self.window_end is not None:
            end = self.window_end.replace(tzinfo=timezone.utc) - EPOCH
            newest = F.greatest(newest, F.lit(end // MICROSECOND).cast("long"))
        horizon = min(self.horizon_ms * 1000, LAST_MICROS - FIRST_MICROS)
        return F.unix_micros(time) > newest + F.lit(horizon).cast("long")


def string_schema(names: tuple[str, ...] | list[str]) -> StructType:
    return StructType([StructField(n, StringType()) for n in dict.fromkeys(names)])


def has_value(column: Column) -> Column:
    """Present, not JSON null, not blank."""
    text = F.trim(column)
    return text.isNotNull() & (text != "")


def classify(records: DataFrame, spec: EventSpec, now: Column | None = None) -> DataFrame:
    """Every Kafka record (the source's columns) with its Kafka coordinates (a KAFKA struct
    of the quarantine's columns but the reason), its REASON (null when valid) and the spec's
    fields as text (null for poison) and its EVENT_TIME. `now` is the clock (the
    micro-batch's time). Select from it with `where_reason`, which keeps each record parsed
    once."""
    schema = string_schema([*spec.fields, _CORRUPT])
    framed = PAYLOAD in records.columns  # decoded from the wire format: stream_wire
    payload = F.col(PAYLOAD) if framed else F.col("value")
    size = F.length(F.col("value"))  # bytes, for binary (the payload's, once staged)
    parsed = F.from_json(F.col("value").cast("string"), schema,
                         {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT})
    kafka = F.struct(F.col("key"), F.col("value"), F.col("topic"), F.col("partition"),
                     F.col("offset"), F.col("timestamp").alias("kafka_timestamp"))
    unknown = F.col(UNKNOWN) if framed else F.lit(None).cast("string")
    staged = records.select(kafka.alias(KAFKA), payload.alias("value"), unknown.alias(UNKNOWN))
    staged = staged.select(KAFKA, "value", UNKNOWN,
                           F.when(size.between(1, MAX_EVENT_BYTES), parsed).alias(_EVENT))

    def field(name: str) -> Column:
        return F.col(_EVENT)[name]

    # Its own projection, read three times below: Spark keeps a projection apart rather
    # than repeat a costly expression it feeds, so each event's time is parsed once.
    staged = staged.select("*", spec.event_time(field).alias(EVENT_TIME))

    def any_of(conditions: list[Column]) -> Column:
        return reduce(operator.or_, conditions, F.lit(False))

    timed = any_of([has_value(field(t)) for t in spec.times])
    time = F.col(EVENT_TIME)
    future = spec.too_far_ahead(time, F.current_timestamp() if now is None else now)
    text_number = any_of([has_value(field(n)) & parse_number(field(n)).isNull()
                          for n in spec.numbers])
    reason = (F.when(F.col(UNKNOWN).isNotNull(), F.lit(UNKNOWN_SCHEMA))
              .when(F.col("value").isNull() | (size == 0), F.lit(EMPTY))
              .when(size > MAX_EVENT_BYTES, F.lit(OVERSIZED))
              .when(F.col(_EVENT).isNull() | field(_CORRUPT).isNotNull(), F.lit(NOT_JSON))
              .when(~timed, F.lit(MISSING_FIELD))
              .when(time.isNull(), F.lit(BAD_TIME))
              .when(future, F.lit(FUTURE_TIME))
              .when(text_number, F.lit(TEXT_NUMBER)))
    return staged.select(F.col(KAFKA), reason.alias(REASON),
                         *[field(f).alias(f) for f in dict.fromkeys(spec.fields)], time,
                         F.spark_partition_id().alias(_BARRIER))


def where_reason(classified: DataFrame, condition: Column) -> DataFrame:
    """The classified records where `condition` (on REASON) holds, without the barrier.

    Why a barrier: Spark's optimizer pushes a filter below the projection that computes the
    column it filters on, inlining the expression: a filter on REASON would parse the JSON
    (and the times) in the filter, and again in the projection above it. It pushes no filter
    below a projection with a nondeterministic column that the filter uses: the partition id
    is one, costs nothing and is never negative. (In a stream the micro-batch's clock in the
    reason happens to block the push too; a batch read has no such clock.)"""
    kept = classified.where(condition & (F.col(_BARRIER) >= 0))
    return kept.drop(_BARRIER)


def quarantined(classified: DataFrame) -> DataFrame:
    """The poison records, as the quarantine stores them (QUARANTINE_COLUMNS)."""
    columns = {c: F.col(KAFKA)[c] for c in QUARANTINE_COLUMNS if c != "reason"}
    columns["reason"] = F.col(REASON)
    return (where_reason(classified, F.col(REASON).isNotNull())
            .select(*[column.alias(name) for name, column in columns.items()]))


def valid_events(classified: DataFrame, spec: EventSpec) -> DataFrame:
    """The valid events: EVENT_ID, the spec's fields and EVENT_TIME."""
    return (where_reason(classified, F.col(REASON).isNull())
            .select(event_id(F.col(KAFKA)["key"], F.col(KAFKA)["value"]).alias(EVENT_ID),
                    *dict.fromkeys(spec.fields), EVENT_TIME))


def event_id(key: Column, value: Column) -> Column:
    """SHA-256 of (SHA-256 of the key, or "-" without one) ":" (SHA-256 of the value): 32
    bytes; hashing the parts first keeps (key, value) pairs apart however their bytes
    split."""
    key_part = F.coalesce(F.sha2(key, 256), F.lit("-"))
    return F.unhex(F.sha2(F.concat(key_part, F.lit(":"), F.sha2(value, 256)), 256))


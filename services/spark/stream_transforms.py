"""Streaming transforms, pure DataFrame -> DataFrame, for both kinds of events.

Each mode says what a valid event holds (an EventSpec, for services.spark.stream_intake).
Retail orders go through `transform_orders`; any dataset with a schema file reuses
the batch job's `cleanse`, so one row gives the same numbers in batch and streaming. Both
produce (group, event time, value) columns, with the event id carried along, for
`deduplicated` and then `build_aggregations`. An event that is valid for the intake always
has an event time here: both read it with the same function.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from services.outputs import (
    EVENT_COUNT,
    REVENUE,
    UNKNOWN,
    WINDOW_END,
    WINDOW_START,
)
from services.schema import SLIDE_S, WATERMARK_S, WINDOW_S, Dataset, spark_interval
from services.spark.cleansing import (
    Roles,
    cleanse,
    event_time_parser,
    measure_value,
    normalise_name,
    parse_number,
    parse_timestamp,
)
from services.spark.stream_intake import EVENT_ID, EVENT_TIME, EventSpec, Getter
from services.streamcheck import RETAIL, RETAIL_NUMBERS, StreamShape

RETAIL_TIME_COLUMNS = ("event_time", "order_time", "order_date", "timestamp", "order_ts")
RETAIL_FIELDS = ("product", "item", *RETAIL_NUMBERS, "order_id", "store",
                 *RETAIL_TIME_COLUMNS)


def retail_time(col: Getter) -> Column:
    """An order's time: the first of the time columns that parses."""
    return F.coalesce(*[parse_timestamp(col(c)) for c in RETAIL_TIME_COLUMNS])


def retail_spec() -> EventSpec:
    return EventSpec(fields=RETAIL_FIELDS, times=RETAIL_TIME_COLUMNS, numbers=RETAIL_NUMBERS,
                     event_time=retail_time)


def first_present(columns: list[Column]) -> Column:
    """The first value that is not blank (trimmed)."""
    return F.coalesce(*[F.nullif(F.trim(c), F.lit("")) for c in columns])


def schema_times(shape: StreamShape) -> tuple[str, ...]:
    """Where a schema event's time is: the analysis' timestamp field, else the producer's
    event_time."""
    return tuple(dict.fromkeys((shape.time, "event_time")))


def schema_spec(dataset: Dataset, shape: StreamShape) -> EventSpec:
    """Every declared field as text (numbers in the JSON read fine as text), plus the
    producer's event_time; the numbers are the analysis' numeric fields and its measures'
    inputs."""
    roles = Roles.of(dataset.analysis)
    fields = tuple(dict.fromkeys([normalise_name(f.name) for f in dataset.fields]
                                 + ["event_time"]))
    inputs = [name for m in roles.measures for name in m.inputs]
    numbers = tuple(n for n in dict.fromkeys([*roles.numeric, *inputs]) if n in fields)
    times, parse = schema_times(shape), event_time_parser(dataset)
    return EventSpec(fields=fields, times=times, numbers=numbers,
                     event_time=lambda col: parse(first_present([col(t) for t in times])),
                     window_end=dataset.time_window.end)


def _clean_text(column: Column) -> Column:
    text = F.trim(column)
    return F.when(text.isNull() | (text == ""), F.lit(UNKNOWN)).otherwise(text)


def _carried(events: DataFrame) -> list[Column]:
    """The event id, when the events have one (a stream's do; a test's may not)."""
    return [F.col(EVENT_ID)] if EVENT_ID in events.columns else []


def transform_orders(events: DataFrame) -> DataFrame:
    """The retail transform: product, reconciled order time, line amount."""
    cols = set(events.columns)

    def col(name: str) -> Column:
        return F.col(name) if name in cols else F.lit(None).cast("string")

    time = F.col(EVENT_TIME) if EVENT_TIME in cols else retail_time(col)
    product = F.coalesce(F.nullif(F.trim(col("product")), F.lit("")), col("item"))
    amount = F.coalesce(parse_number(col("total_price")),
                        parse_number(col("quantity")) * parse_number(col("unit_price")))
    return (events
            .select(_clean_text(product).alias(RETAIL.group), time.alias(RETAIL.time),
                    F.round(F.coalesce(amount, F.lit(0.0)), 2).alias(RETAIL.value),
                    *_carried(events))
            .where(F.col(RETAIL.time).isNotNull()))


def transform_schema_events(events: DataFrame, dataset: Dataset,
                            shape: StreamShape) -> DataFrame:
    """Any schema's events through the batch job's cleansing, then (group, time, value)."""
    times = [t for t in schema_times(shape) if t in events.columns]
    if EVENT_TIME in events.columns:  # parsed by the intake: the cleansing keeps it
        events = events.withColumn(shape.time, F.col(EVENT_TIME)).drop(EVENT_TIME)
    elif len(times) > 1:
        events = events.withColumn(shape.time, first_present([F.col(t) for t in times]))
    clean = cleanse(events, dataset)
    roles = Roles.of(dataset.analysis)
    group = F.col(shape.group)
    if shape.group not in roles.dimensions:
        group = _clean_text(group.cast("string"))
    measure = next((m for m in roles.measures if m.name == shape.value), None)
    if shape.counts_events:
        value = F.lit(1.0)
    elif measure is not None:
        value = measure_value(measure)
    elif shape.value in roles.numeric:
        value = F.col(shape.value)
    else:
        value = F.coalesce(parse_number(F.col(shape.value)), F.lit(0.0))
    return clean.select(group.alias(shape.group), F.col(shape.time), value.alias(shape.value),
                        *_carried(clean))


def deduplicated(rows: DataFrame, shape: StreamShape) -> DataFrame:
    """The watermark on the event time, then each event id once while its time is within
    the watermark (the first read wins). Spark's dedup drops, and reports as dropped by the
    watermark, an event whose time is at or before the previous batch's watermark: these
    are the late events, and they never reach the windows."""
    return (rows.withWatermark(shape.time, spark_interval(WATERMARK_S))
            .dropDuplicatesWithinWatermark([EVENT_ID]))


def build_aggregations(rows: DataFrame, shape: StreamShape) -> DataFrame:
    """Windows of WINDOW_S sliding every SLIDE_S, per group: rounded revenue and
    event count. In a stream the rows come from `deduplicated` (which sets the watermark).
    `windows_from_state` reads the same windows back from the stream's state."""
    window = F.window(F.col(shape.time), spark_interval(WINDOW_S), spark_interval(SLIDE_S))
    return (rows.groupBy(window.alias("window"), F.col(shape.group))
            .agg(F.round(F.sum(shape.value), 2).alias(REVENUE),
                 F.count(F.lit(1)).alias(EVENT_COUNT))
            .select(F.col(shape.group), F.col("window.start").alias(WINDOW_START),
                    F.col("window.end").alias(WINDOW_END), REVENUE, EVENT_COUNT))


AGGREGATION_OPERATOR = "stateStoreSave"  # the windows' operator, as the state metadata names it


def windows_from_state(state: DataFrame, shape: StreamShape) -> DataFrame:
    """The open windows of a stream's `build_aggregations`, from its operator's state as the
    State Data Source reads it: key (window, group), value the aggregation buffers of the
    sum (`sum`) and the count (`count`), finished as `build_aggregations` finishes them."""
    key, value = F.col("key"), F.col("value")
    return state.select(key[shape.group].alias(shape.group),
                        key["window"]["start"].alias(WINDOW_START),
                        key["window"]["end"].alias(WINDOW_END),
                        F.round(value["sum"], 2).alias(REVENUE),
                        value["count"].alias(EVENT_COUNT))

"""Streaming transforms, pure DataFrame -> DataFrame, for both kinds of events.

Retail orders go through `transform_orders`; any dataset with a schema file reuses
the batch job's `cleanse`, so one row gives the same numbers in batch and streaming. Both
produce (group, event time, value) columns for `build_aggregations`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from services.outputs import (
    EVENT_COUNT,
    RETAIL_GROUP,
    REVENUE,
    UNKNOWN,
    WINDOW_END,
    WINDOW_START,
)
from services.schema import Dataset
from services.spark.cleansing import (
    MissingColumnError,
    Roles,
    cleanse,
    measure_value,
    normalise_name,
    parse_timestamp,
)

WATERMARK = "15 minutes"
WINDOW = "1 hour"
SLIDE = "15 minutes"
RETAIL_TIME_COLUMNS = ("event_time", "order_time", "order_date", "timestamp", "order_ts")
RETAIL_FIELDS = ("product", "item", "quantity", "unit_price", "total_price", "order_id",
                 "store", *RETAIL_TIME_COLUMNS)


@dataclass(frozen=True)
class StreamShape:
    """What the aggregation groups by, sums and windows on."""

    group: str
    time: str
    value: str
    counts_events: bool = False  # no summed measure: each event adds 1


def string_schema(names: list[str] | tuple[str, ...]) -> StructType:
    return StructType([StructField(n, StringType()) for n in dict.fromkeys(names)])


def retail_event_schema() -> StructType:
    return string_schema(RETAIL_FIELDS)


def schema_event_schema(dataset: Dataset) -> StructType:
    """Every declared field as text (numbers in the JSON read fine as text), plus the
    producer's event_time."""
    return string_schema([normalise_name(f.name) for f in dataset.fields] + ["event_time"])


def parse_events(raw: DataFrame, schema: StructType) -> DataFrame:
    """Kafka records to columns; malformed JSON gives a row of nulls, dropped later."""
    parsed = F.from_json(F.col("value").cast("string"), schema, {"mode": "PERMISSIVE"})
    return raw.select(parsed.alias("event")).select("event.*")


def _clean_text(column: Column) -> Column:
    text = F.trim(column)
    return F.when(text.isNull() | (text == ""), F.lit(UNKNOWN)).otherwise(text)


def _number(column: Column) -> Column:
    return F.trim(column).try_cast("double")


EVENTS = "events"  # the value column when no measure is summed: 1 per event

RETAIL = StreamShape(group=RETAIL_GROUP, time="order_ts", value="line_amount")


def transform_orders(events: DataFrame) -> DataFrame:
    """The retail transform: product, reconciled order time, line amount."""
    cols = set(events.columns)

    def col(name: str) -> Column:
        return F.col(name) if name in cols else F.lit(None).cast("string")

    product = F.coalesce(F.nullif(F.trim(col("product")), F.lit("")), col("item"))
    order_ts = F.coalesce(*[parse_timestamp(col(c)) for c in RETAIL_TIME_COLUMNS])
    amount = F.coalesce(_number(col("total_price")),
                        _number(col("quantity")) * _number(col("unit_price")))
    return (events
            .select(_clean_text(product).alias(RETAIL.group), order_ts.alias(RETAIL.time),
                    F.round(F.coalesce(amount, F.lit(0.0)), 2).alias(RETAIL.value))
            .where(F.col(RETAIL.time).isNotNull()))


def schema_shape(dataset: Dataset, group: str | None = None,
                 value: str | None = None) -> StreamShape:
    """The analysis' first dimension and the measure the windows total (the first summed
    one), unless overridden (the value may name a summed measure or a field)."""
    roles = Roles.of(dataset.analysis)
    group = normalise_name(group) if group else (roles.dimensions[0] if roles.dimensions
                                                 else None)
    if group is None:
        raise MissingColumnError("the schema has no group column to use: set "
                                 "STREAM_GROUP_FIELD")
    fields = {normalise_name(f.name) for f in dataset.fields}
    measures = {m.name: m for m in roles.measures}
    known = fields | set(measures)
    for what, name in (("GROUP", group), ("VALUE", normalise_name(value) if value else None)):
        if name is not None and name not in known:
            raise MissingColumnError(f"STREAM_{what}_FIELD={name!r} names no field of "
                                     f"the schema; fields: {', '.join(sorted(known))}")
    if value:
        value = normalise_name(value)
        chosen = measures.get(value)
        if chosen is not None and chosen.agg != "sum":
            raise MissingColumnError(f"STREAM_VALUE_FIELD={value!r} is a mean measure; the "
                                     "streaming windows total their value, so name a summed "
                                     "measure or a field")
        return StreamShape(group=group, time=roles.timestamp, value=value)
    windowed = dataset.analysis.windowed
    if windowed is None:
        return StreamShape(group=group, time=roles.timestamp, value=EVENTS, counts_events=True)
    return StreamShape(group=group, time=roles.timestamp, value=normalise_name(windowed.name))


def transform_schema_events(events: DataFrame, dataset: Dataset,
                            shape: StreamShape) -> DataFrame:
    """Any schema's events through the batch job's cleansing, then (group, time, value)."""
    if shape.time != "event_time" and "event_time" in events.columns:
        events = events.withColumn(shape.time, F.coalesce(F.col(shape.time),
                                                          F.col("event_time")))
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
        value = F.coalesce(_number(F.col(shape.value).cast("string")), F.lit(0.0))
    return clean.select(group.alias(shape.group), F.col(shape.time), value.alias(shape.value))


def build_aggregations(rows: DataFrame, shape: StreamShape) -> DataFrame:
    """15-minute watermark, 1-hour windows sliding every 15 minutes, per group: rounded
    revenue and event count."""
    window = F.window(F.col(shape.time), WINDOW, SLIDE)
    return (rows.withWatermark(shape.time, WATERMARK)
            .groupBy(window.alias("window"), F.col(shape.group))
            .agg(F.round(F.sum(shape.value), 2).alias(REVENUE),
                 F.count(F.lit(1)).alias(EVENT_COUNT))
            .select(F.col(shape.group), F.col("window.start").alias(WINDOW_START),
                    F.col("window.end").alias(WINDOW_END), REVENUE, EVENT_COUNT))

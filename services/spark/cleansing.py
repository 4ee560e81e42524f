"""Schema-driven cleansing, one code path for the batch and streaming jobs.

`normalise` keeps every row and adds a validity flag and 0/1 indicator columns saying which
values were defaulted, so the batch job can count data-quality problems inside its single
aggregation pass. `cleanse` is the plain DataFrame -> DataFrame transform: normalise, then
drop the rows without a valid timestamp and the bookkeeping columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from services.outputs import UNKNOWN
from services.schema import (
    Dataset,
    DatetimeField,
    Measure,
    MissingColumnError,
    Roles,
    normalise_name,
)
from services.spark.event_times import in_years, parse_time

VALID_TS = "_valid_ts"
INDICATOR_PREFIX = "_dq__"

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")


def parse_timestamp(raw: Column, field: DatetimeField | None = None) -> Column:
    """A timestamp from text (or numbers) by the field's declared format, then the spellings
    every reader shares (services.spark.event_times); null when nothing parses or the time
    is outside the years 1 to 9999."""
    return parse_time(raw, field.format if field is not None else None)


def parse_number(raw: Column) -> Column:
    """A number from text (or a number): null when it is blank or not a number."""
    return F.trim(raw.cast("string")).try_cast("double")


def event_time_parser(dataset: Dataset) -> Callable[[Column], Column]:
    """How the analysis' timestamp field parses, as the schema declares it: one rule for the
    cleansing and the streaming job's quarantine (a time it refuses is `bad_time`)."""
    ts = Roles.of(dataset.analysis).timestamp
    declared = {normalise_name(f.name): f for f in dataset.fields}.get(ts)
    field = declared.renders_as if declared is not None else None
    fmt = field if isinstance(field, DatetimeField) else None
    return lambda raw: parse_timestamp(raw, fmt)


def parse_boolean(raw: Column) -> Column:
    """true/false/yes/no/y/n/1/0 in any case; null for anything else. Spark's boolean cast
    accepts these words already; the word lists are the fallback, only evaluated when the
    cast gives nothing."""
    text = F.trim(raw.cast("string"))
    word = F.lower(text)
    fallback = (F.when(word.isin(*TRUE_WORDS), F.lit(True))
                .when(word.isin(*FALSE_WORDS), F.lit(False)))
    return F.coalesce(text.try_cast("boolean"), fallback)


def indicator(column: str, reason: str) -> str:
    return f"{INDICATOR_PREFIX}{column}__{reason}"


def parse_indicator(name: str) -> tuple[str, str]:
    column, reason = name[len(INDICATOR_PREFIX):].rsplit("__", 1)
    return column, reason


def _flag(condition: Column) -> Column:
    return F.when(condition, F.lit(1)).otherwise(F.lit(0))


def measure_value(measure: Measure) -> Column:
    """A measure over cleansed rows (missing numbers already 0.0); 0.0 where it cannot be
    computed (a division by zero), as for a missing number."""
    return F.coalesce(_computed(measure).cast("double"), F.lit(0.0))


def measure_present(measure: Measure, columns: Iterable[str]) -> Column:
    """1 where the measure had a value: every input present and no division by zero."""
    inputs = set(measure.inputs)
    defaulted = [F.col(c) for c in columns
                 if c.startswith(INDICATOR_PREFIX) and parse_indicator(c)[0] in inputs]
    return _flag(_computed(measure).isNotNull() & (sum(defaulted, F.lit(0)) == 0))


def _computed(measure: Measure) -> Column:
    """The expression as a column; x / 0 is null (Spark's try_divide)."""
    value = measure.evaluate(F.col, lambda a, b: F.try_divide(_lit(a), _lit(b)))
    return _lit(value)


def _lit(value: Column | float) -> Column:
    return value if isinstance(value, Column) else F.lit(value)


def normalise(df: DataFrame, dataset: Dataset) -> DataFrame:
    """Every row, cleansed, with VALID_TS and the 0/1 quality indicator columns."""
    roles = Roles.of(dataset.analysis)
    names = [normalise_name(c) for c in df.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise MissingColumnError(f"columns {duplicates} appear twice once names are "
                                 "lower-cased and trimmed")
    df = df.toDF(*names)
    present = set(names)
    if roles.timestamp not in present:
        raise MissingColumnError(f"the timestamp column {roles.timestamp!r} (analysis."
                                 f"timestamp_field) is not in the data; columns: "
                                 f"{', '.join(names)}")
    replaced: dict[str, Column] = {roles.timestamp: event_time(df, roles.timestamp, dataset)}
    extra: dict[str, Column] = {}
    for name in roles.dimensions:
        if name in present:
            value = F.trim(F.col(name).cast("string"))
            blank = value.isNull() | (value == "")
            replaced[name] = F.when(blank, F.lit(UNKNOWN)).otherwise(value)
            extra[indicator(name, "blank_to_UNKNOWN")] = _flag(blank)
        else:
            replaced[name] = F.lit(UNKNOWN)
            extra[indicator(name, "missing_column_to_UNKNOWN")] = F.lit(1)
    for name in roles.numeric:
        if name in present:
            number = parse_number(F.col(name))
            replaced[name] = F.coalesce(number, F.lit(0.0))
            extra[indicator(name, "null_or_invalid_to_0")] = _flag(number.isNull())
        else:
            replaced[name] = F.lit(0.0)
            extra[indicator(name, "missing_column_to_0")] = F.lit(1)
    for name in roles.flags:
        if name in present:
            flag = parse_boolean(F.col(name))
            replaced[name] = F.coalesce(flag, F.lit(False))
            extra[indicator(name, "unparsed_to_false")] = _flag(flag.isNull())
        else:
            replaced[name] = F.lit(False)
            extra[indicator(name, "missing_column_to_false")] = F.lit(1)
    # One projection from the raw columns (indicators must see raw values), then the date.
    columns = [replaced.pop(n).alias(n) if n in replaced else F.col(n) for n in names]
    columns += [expr.alias(n) for n, expr in replaced.items()]  # injected missing columns
    columns += [expr.alias(n) for n, expr in extra.items()]
    ts = F.col(roles.timestamp)
    return df.select(*columns).withColumns(
        {roles.date: F.to_date(ts), VALID_TS: ts.isNotNull()})


def event_time(df: DataFrame, name: str, dataset: Dataset) -> Column:
    """The event time of each row: parsed from text as the schema declares it, or kept when
    the column is a timestamp already (a Parquet extract's, or the streaming intake's, which
    parsed it once to judge the event), held to the years 1 to 9999 either way."""
    if dict(df.dtypes)[name] == "timestamp":
        return in_years(F.col(name))
    return event_time_parser(dataset)(F.col(name))


def cleanse(df: DataFrame, dataset: Dataset) -> DataFrame:
    """Seed 4.3 as one transform: rows without a valid timestamp dropped, the rest cleansed."""
    out = normalise(df, dataset).where(F.col(VALID_TS))
    return out.drop(VALID_TS, *[c for c in out.columns if c.startswith(INDICATOR_PREFIX)])

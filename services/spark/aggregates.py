"""Daily aggregates in one pass, with the KPI rollup from the same expressions.

`raw_aggregates` groups every row, including those without a valid timestamp (their date is
null), so one pass over the input yields the aggregates, the count of dropped rows and the
data-quality counters. `finish` turns raw sums and counts into the published measures; the
detail rows and the KPI row both go through it, so they always agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from services.outputs import RECORD_COUNT, BatchColumns, count_of
from services.spark.cleansing import (
    INDICATOR_PREFIX,
    Roles,
    measure_present,
    measure_value,
    parse_indicator,
)

RAW_SUM = "_raw_sum_"
RAW_PRESENT = "_raw_n_"
MONEY_DECIMALS = 2  # sums: whole cents
RATIO_DECIMALS = 4  # averages and rates


def batch_columns(roles: Roles) -> BatchColumns:
    return BatchColumns(roles.date, roles.dimensions, tuple(m.name for m in roles.measures),
                        roles.flags)


def raw_aggregates(normalised: DataFrame, roles: Roles) -> DataFrame:
    indicators = [c for c in normalised.columns if c.startswith(INDICATOR_PREFIX)]
    measures = [F.count(F.lit(1)).alias(RECORD_COUNT)]
    for m in roles.measures:
        measures += [F.sum(measure_value(m)).alias(RAW_SUM + m.name),
                     F.sum(measure_present(m, normalised.columns)).alias(RAW_PRESENT + m.name)]
    measures += [F.count_if(F.col(f)).alias(count_of(f)) for f in roles.flags]
    measures += [F.sum(F.col(c)).alias(c) for c in indicators]
    return normalised.groupBy(roles.date, *roles.dimensions).agg(*measures)


def _ratio(part: Column, whole: Column) -> Column:
    return F.round(F.when(whole > 0, part / whole).otherwise(F.lit(0.0)), RATIO_DECIMALS)


def decimals(columns: BatchColumns) -> dict[str, int]:
    """The decimals `finish` rounds each double measure to: what their text shows."""
    return {**dict.fromkeys(columns.sums, MONEY_DECIMALS),
            **dict.fromkeys(columns.averages + columns.rates, RATIO_DECIMALS)}


def plain_text(frame: DataFrame, places: Mapping[str, int]) -> list[Column]:
    """The frame's columns for a CSV file: every double as plain decimal text with its
    `places` (Spark's CSV writer prints Double.toString, 3.50217607E8); other columns as
    they are. A projection, so it runs in the same pass as the write."""
    out = []
    for name, kind in frame.dtypes:
        if kind in ("double", "float"):
            if name not in places:
                raise ValueError(f"column {name!r} is a {kind} with no declared decimals; "
                                 f"declared: {', '.join(places) or 'none'}")
            value = F.col(name)
            out.append(F.when(value.isNotNull(),
                              F.format_string(f"%.{places[name]}f", value)).alias(name))
        else:
            out.append(F.col(name))
    return out


def finish(raw: DataFrame, columns: BatchColumns, keys: tuple[str, ...]) -> DataFrame:
    records = F.col(RECORD_COUNT)
    out = [F.col(k) for k in keys] + [records.cast("long").alias(RECORD_COUNT)]
    out += [F.round(F.col(RAW_SUM + m), MONEY_DECIMALS).alias(s)
            for m, s in zip(columns.numeric, columns.sums, strict=True)]
    out += [F.col(RAW_PRESENT + m).cast("long").alias(n)
            for m, n in zip(columns.numeric, columns.present, strict=True)]
    out += [F.col(c).cast("long").alias(c) for c in columns.counts]
    out += [F.round(F.col(RAW_SUM + m) / F.nullif(F.col(RAW_PRESENT + m), F.lit(0)),
                    RATIO_DECIMALS).alias(a)
            for m, a in zip(columns.numeric, columns.averages, strict=True)]
    out += [_ratio(F.col(c), records).alias(r)
            for c, r in zip(columns.counts, columns.rates, strict=True)]
    return raw.select(*out)


def valid(raw: DataFrame, columns: BatchColumns) -> DataFrame:
    return raw.where(F.col(columns.date).isNotNull())


def detail(raw: DataFrame, columns: BatchColumns) -> DataFrame:
    return finish(valid(raw, columns), columns, (columns.date, *columns.dimensions))


def rollup(raw: DataFrame, columns: BatchColumns) -> DataFrame:
    """The raw measures summed over all valid groups: one row."""
    summed = [c for c in raw.columns if c not in (columns.date, *columns.dimensions)]
    return valid(raw, columns).agg(
        *[F.coalesce(F.sum(F.col(c)), F.lit(0)).alias(c) for c in summed])


def kpis(raw: DataFrame, columns: BatchColumns) -> DataFrame:
    return finish(rollup(raw, columns), columns, ())


def quality_counts(raw: DataFrame, columns: BatchColumns) -> dict:
    """Rows dropped and values defaulted, from the same raw aggregates."""
    indicators = [c for c in raw.columns if c.startswith(INDICATOR_PREFIX)]
    totals = raw.agg(
        F.coalesce(F.sum(F.when(F.col(columns.date).isNull(), F.col(RECORD_COUNT))),
                   F.lit(0)).alias("invalid"),
        F.coalesce(F.sum(F.col(RECORD_COUNT)), F.lit(0)).alias("read"),
        *[F.coalesce(F.sum(F.when(F.col(columns.date).isNotNull(), F.col(c))),
                     F.lit(0)).alias(c) for c in indicators],
    ).first()
    defaulted: dict[str, dict[str, int]] = {}
    for name in indicators:
        if totals[name]:
            column, reason = parse_indicator(name)
            defaulted.setdefault(column, {})[reason] = int(totals[name])
    return {"rows_read": int(totals["read"]),
            "rows_dropped": {"invalid_timestamp": int(totals["invalid"])},
            "rows_aggregated": int(totals["read"]) - int(totals["invalid"]),
            "defaulted": defaulted}

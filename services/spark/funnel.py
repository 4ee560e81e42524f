"""A lifecycle dataset's funnel, per day: how many episodes reach each state, how many of
them move on along each transition, and how long that takes.

An episode is the rows that share the dataset's episode id (its `id_sequence` or `uuid`
field, repeated on each row of an episode), in time order; its day is the day it started
(its first row), so a day's row counts that day's starts, however long they take. A step is
two consecutive rows of an episode: from the first row's state to the second's, its time
the seconds between them.

One row per (day, state, next state) for each declared transition, each transition the data
holds that the lifecycle does not declare (a real extract's), and once, with no next state,
for a state the episodes reach that has neither:

- `reached`: episodes that entered the state (at least once);
- `moved`: episodes that made the step at least once; `conversion` = moved / reached;
- `steps`: the steps made (a session's page view -> page view repeats);
- `median_s`, `p90_s`: exact percentiles (linear between ranks) of the steps' seconds.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from services.outputs import (
    CONVERSION,
    FUNNEL_COLUMNS,
    MEDIAN_S,
    MOVED,
    NEXT_STATE,
    P90_S,
    REACHED,
    STATE,
    STEPS,
)
from services.schema import Dataset, IdSequenceField, Lifecycle, UuidField

COLUMNS = FUNNEL_COLUMNS  # their names are the output contract's (services.outputs)
DECIMALS = {CONVERSION: 4, MEDIAN_S: 3, P90_S: 3}  # what the CSV shows of each double


def episode_field(dataset: Dataset) -> str | None:
    """The field that names an episode: the schema's first id_sequence or uuid field."""
    return next((f.name for f in dataset.fields
                 if isinstance(f, IdSequenceField | UuidField)), None)


def declared_steps(spark: SparkSession, lifecycle: Lifecycle) -> DataFrame:
    pairs = [(s.name, t.to) for s in lifecycle.states for t in s.transitions]
    pairs += [(s.name, s.timeout.to) for s in lifecycle.states if s.timeout is not None]
    return spark.createDataFrame(sorted(set(pairs)), f"{STATE} string, {NEXT_STATE} string")


def funnel(rows: DataFrame, lifecycle: Lifecycle, episode: str, time: str,
           date: str) -> DataFrame:
    """The funnel (columns `date` + COLUMNS) of cleansed rows: `episode` names each row's
    episode, `time` is its (valid) timestamp, the lifecycle's state field its state."""
    state = F.col(lifecycle.state_field).cast("string")
    by_episode = Window.partitionBy(episode)
    in_order = by_episode.orderBy(time)
    walked = rows.where(F.col(time).isNotNull()).select(
        F.col(episode), state.alias(STATE),
        F.to_date(F.min(time).over(by_episode)).alias(date),
        F.lag(state).over(in_order).alias("_from"),
        (F.unix_micros(F.col(time)) - F.unix_micros(F.lag(time).over(in_order))).alias("_us"))
    reached = walked.groupBy(date, STATE).agg(F.count_distinct(episode).alias(REACHED))
    seconds = F.col("_us") / 1e6
    moves = (walked.where(F.col("_from").isNotNull())
             .groupBy(date, F.col("_from").alias(STATE), F.col(STATE).alias(NEXT_STATE))
             .agg(F.count_distinct(episode).alias(MOVED), F.count(F.lit(1)).alias(STEPS),
                  F.percentile(seconds, 0.5).alias(MEDIAN_S),
                  F.percentile(seconds, 0.9).alias(P90_S)))
    declared = reached.select(date, STATE).join(declared_steps(rows.sparkSession, lifecycle),
                                                STATE)
    keys = declared.unionByName(moves.select(date, STATE, NEXT_STATE)).distinct()
    ends = (reached.select(date, STATE).join(keys, [date, STATE], "left_anti")
            .withColumn(NEXT_STATE, F.lit(None).cast("string")))
    out = (keys.unionByName(ends).join(reached, [date, STATE], "left")
           .join(moves, [date, STATE, NEXT_STATE], "left"))
    return out.select(date, STATE, NEXT_STATE, *_finished())


def _finished() -> list[Column]:
    reached = F.coalesce(F.col(REACHED), F.lit(0)).cast("long")
    moved = F.coalesce(F.col(MOVED), F.lit(0)).cast("long")
    conversion = F.when(reached > 0, moved / reached).otherwise(F.lit(0.0))
    return [reached.alias(REACHED), moved.alias(MOVED),
            F.round(conversion, DECIMALS[CONVERSION]).alias(CONVERSION),
            F.coalesce(F.col(STEPS), F.lit(0)).cast("long").alias(STEPS),
            F.col(MEDIAN_S), F.col(P90_S)]

"""Pure functions from the batch aggregate rows (and a lifecycle's funnel rows) to the JSON
payloads the page draws.

Sums are re-aggregated from the daily rows; averages and rates are recomputed from sums and
counts (never averaged averages; an average divides by the values present, n_<metric>), so
every figure agrees with the KPI row.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from services.outputs import (
    MEDIAN_S,
    MOVED,
    NEXT_STATE,
    P90_S,
    REACHED,
    RECORD_COUNT,
    STATE,
    STEPS,
    BatchColumns,
    avg_of,
    count_of,
    rate_of,
    sum_of,
)
from services.web.envelope import NoData
from services.web.labels import DatasetLabels

BREAKDOWN_MAX = 12


def number(value: Any, digits: int = 6) -> float | int | None:
    """A JSON-safe number: NaN and infinities become null, whole counts stay ints, floats are
    rounded (sums of cents to 2 places) so no 0.1 + 0.2 noise reaches the page."""
    if value is None:
        return None
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(as_float) or math.isinf(as_float):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return round(as_float, digits)


def rounded_sum(value: Any) -> float | int | None:
    return number(value, 2)


def value_column(columns: BatchColumns) -> str:
    """The column the charts are built from: the main metric's sum, or the record count
    without one."""
    return columns.sums[0] if columns.numeric else RECORD_COUNT


def summed(columns: BatchColumns) -> list[str]:
    """The columns to sum per group so that `headline` can be computed from them."""
    return list(dict.fromkeys([value_column(columns), RECORD_COUNT, *columns.present[:1]]))


def averaged(columns: BatchColumns) -> bool:
    return bool(columns.numeric) and columns.numeric[0] in columns.averaged


def headline(grouped: pd.DataFrame, columns: BatchColumns) -> pd.Series:
    """What the charts plot per group: the main metric's total, or its average over the
    values present when the schema declares it a mean (a total temperature means nothing)."""
    column = value_column(columns)
    if not averaged(columns):
        return grouped[column].astype(float)
    present = grouped[columns.present[0]].astype(float)
    return grouped[column].astype(float) / present.where(present > 0)


def kpis(row: dict[str, Any], columns: BatchColumns, labels: DatasetLabels) -> dict[str, Any]:
    metric = None
    if labels.metric is not None:
        name = labels.metric.name
        metric = {**labels.metric.to_json(), "sum": number(row.get(sum_of(name))),
                  "avg": number(row.get(avg_of(name)))}
    flags = [{**flag.to_json(), "rate": number(row.get(rate_of(flag.name))),
              "count": _int(row.get(count_of(flag.name)))} for flag in labels.flags]
    return {"records": _int(row.get(RECORD_COUNT)), "metric": metric, "flags": flags}


def trend(frame: pd.DataFrame, columns: BatchColumns) -> dict[str, Any]:
    """The main metric per day, with a 7-day moving average once there are two weeks."""
    column = value_column(columns)
    daily = frame.groupby(columns.date, sort=True)[summed(columns)].sum().reset_index()
    values = headline(daily, columns)
    average = values.rolling(7, min_periods=7).mean() if len(daily) >= 14 else None
    return {
        "dates": daily[columns.date].astype(str).tolist(),
        "values": [rounded_sum(v) for v in values],
        "records": [_int(v) for v in daily[RECORD_COUNT]],
        "moving_average": None if average is None else [rounded_sum(v) for v in average],
        "value_column": column,
    }


def segments(frame: pd.DataFrame, columns: BatchColumns, limit: int) -> dict[str, Any]:
    """The top segments by the first two dimensions (one when the schema has one)."""
    dims = list(columns.dimensions[:2])
    if not dims:
        raise NoData("The schema's analysis section declares no dimensions to segment by.")
    column = value_column(columns)
    grouped = frame.groupby(dims, sort=False)[summed(columns)].sum()
    grouped = grouped.assign(_value=headline(grouped, columns)).sort_values(
        "_value", ascending=False)
    total = None if averaged(columns) else float(grouped[column].sum())  # no share of a mean
    rows = []
    for keys, values in grouped.head(limit).iterrows():
        parts = [str(k) for k in (keys if isinstance(keys, tuple) else (keys,))]
        rows.append({"keys": parts, "value": rounded_sum(values["_value"]),
                     "records": _int(values[RECORD_COUNT]),
                     "share": number(values[column] / total) if total else None})
    return {"dimensions": dims, "segments": rows, "total_segments": len(grouped),
            "value_column": column}


def breakdown(frame: pd.DataFrame, columns: BatchColumns, dimension: str) -> dict[str, Any]:
    """Every value of one dimension, largest first; past BREAKDOWN_MAX the rest are summed."""
    column = value_column(columns)
    measures = [*summed(columns), *columns.counts]
    grouped = frame.groupby(dimension, sort=False)[list(dict.fromkeys(measures))].sum()
    grouped = grouped.iloc[headline(grouped, columns).fillna(-math.inf)
                           .argsort(kind="stable")[::-1]]
    total = float(grouped[column].sum())
    head, rest = grouped.head(BREAKDOWN_MAX), grouped.iloc[BREAKDOWN_MAX:]
    rows = [_breakdown_row(str(key), values, column, columns, total, other=False)
            for key, values in head.iterrows()]
    if len(rest):
        rows.append(_breakdown_row(f"{len(rest)} more", rest.sum(), column, columns, total,
                                   other=True))
    return {"dimension": dimension, "rows": rows, "distinct": len(grouped),
            "value_column": column}


def _breakdown_row(key: str, values: pd.Series, column: str, columns: BatchColumns,
                   total: float, *, other: bool) -> dict[str, Any]:
    records = float(values[RECORD_COUNT])
    present = float(values[columns.present[0]]) if columns.numeric else 0.0
    row: dict[str, Any] = {
        "value": key, "other": other, "total": rounded_sum(values[column]),
        "records": _int(values[RECORD_COUNT]),
        "share": number(values[column] / total) if total else None,
        "average": number(values[column] / present) if present else None,
    }
    row["rates"] = {flag: number(values[count_of(flag)] / records) if records else None
                    for flag in columns.flags}
    return row


def sample_rows(frame: pd.DataFrame, columns: BatchColumns, labels: DatasetLabels,
                limit: int) -> dict[str, Any]:
    """The newest aggregate rows, largest first within a day, with a kind per column so the
    page formats money, counts and rates without guessing."""
    column = value_column(columns)
    per_day = frame.groupby(columns.date, sort=True).size().iloc[::-1].cumsum()
    newest_days = per_day.index[: int((per_day < limit).sum()) + 1]
    recent = frame[frame[columns.date].isin(newest_days)]  # sort a few days, not all rows
    ordered = recent.sort_values([columns.date, column], ascending=[False, False]).head(limit)
    spec = _column_spec(columns, labels)
    rows = [[_cell(value, kind) for value, (_, _, kind) in zip(record, spec, strict=True)]
            for record in ordered[[name for name, _, _ in spec]].itertuples(index=False)]
    return {"columns": [{"name": n, "label": lbl, "kind": k} for n, lbl, k in spec],
            "rows": rows, "total_rows": len(frame)}


def _column_spec(columns: BatchColumns, labels: DatasetLabels) -> list[tuple[str, str, str]]:
    measures = {m.name: m for m in labels.measures}
    dim_labels = {d.name: d.label for d in labels.dimensions}
    flag_labels = {f.name: f.label for f in labels.flags}
    spec = [(columns.date, "Date", "date")]
    spec += [(d, dim_labels.get(d, d), "text") for d in columns.dimensions]
    spec.append((RECORD_COUNT, "Records", "count"))
    for metric in columns.numeric:
        label = measures.get(metric)
        for prefix, word in (("sum", "Total"), ("avg", "Avg")):
            spec.append((f"{prefix}_{metric}",
                         f"{word} {(label.label if label else metric).lower()}",
                         "money" if label and label.money else "number"))
    spec += [(rate_of(f), f"{flag_labels.get(f, f)} rate", "rate") for f in columns.flags]
    return spec


def _cell(value: Any, kind: str) -> Any:
    if kind in ("date", "text"):
        return str(value)
    if kind == "count":
        return _int(value)
    return number(value)


def _int(value: Any) -> int | None:
    as_number = number(value)
    return None if as_number is None else round(as_number)


def funnel(frame: pd.DataFrame, date: str, states: tuple[str, ...]) -> dict[str, Any]:
    """A lifecycle's funnel over all days from its daily rows (services.spark.funnel).

    `states` are the lifecycle's, in declared order; a state the data holds that the lifecycle
    does not declare (a real extract's) follows them, by name. A state's `reached` is summed
    over the days (each day's count once, however many transitions leave it); a transition's
    `moved` and `steps` likewise, and its `conversion` is moved / its state's reached over all
    days (a ratio of sums, not a sum or mean of the daily ratios). Percentiles of daily
    samples cannot be combined, so a transition's `median_s` and `p90_s` are those of one
    day, named as `timing_day`: the latest on which the step was made.
    """
    frame = frame.assign(**{NEXT_STATE: frame[NEXT_STATE].where(frame[NEXT_STATE] != "")})
    daily = frame.drop_duplicates([date, STATE])
    reached = daily.groupby(STATE)[REACHED].sum()
    order = list(states) + sorted(set(frame[STATE]) - set(states))
    rank = {name: i for i, name in enumerate(order)}
    moves = frame.dropna(subset=[NEXT_STATE])
    totals = moves.groupby([STATE, NEXT_STATE])[[MOVED, STEPS]].sum()
    timed = (moves[moves[STEPS] > 0].sort_values(date, kind="stable")
             .drop_duplicates([STATE, NEXT_STATE], keep="last").set_index([STATE, NEXT_STATE]))
    keys = sorted(totals.index, key=lambda k: (rank[k[0]], rank.get(k[1], len(rank)), k[1]))
    transitions = [_transition(key, totals.loc[key], int(reached.get(key[0], 0)),
                               timed.loc[key] if key in timed.index else None, date)
                   for key in keys]
    days = sorted(frame[date].astype(str).unique())
    return {
        "states": [{"state": name, "reached": int(reached.get(name, 0))} for name in order],
        "transitions": transitions,
        "days": len(days), "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
    }


def _transition(key: tuple[str, str], total: pd.Series, reached: int,
                timing: pd.Series | None, date: str) -> dict[str, Any]:
    moved = int(total[MOVED])
    return {
        "from": key[0], "to": key[1], "reached": reached, "moved": moved,
        "conversion": number(moved / reached) if reached else None,
        "steps": int(total[STEPS]),
        "timing_day": None if timing is None else str(timing[date]),
        "median_s": None if timing is None else number(timing[MEDIAN_S]),
        "p90_s": None if timing is None else number(timing[P90_S]),
    }

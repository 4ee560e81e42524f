"""The streaming tests' helpers: the sink read through its commit log, and the windows the
job must write, computed directly from the events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from services.outputs import committed_parquet_files

WINDOW, SLIDE = pd.Timedelta(hours=1), pd.Timedelta(minutes=15)


def in_utc(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """`column` as naive UTC times, whatever offsets the text carried."""
    times = pd.to_datetime(frame[column], utc=True, format="ISO8601").dt.tz_localize(None)
    return frame.assign(**{column: times})


def sink_rows(folder: Path) -> pd.DataFrame:
    files = committed_parquet_files(folder)
    if not files:
        return pd.DataFrame()
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def expected_windows(frame: pd.DataFrame, group: str, time_col: str,
                     value: str) -> pd.DataFrame:
    """1-hour windows sliding every 15 minutes, computed directly from the events."""
    times = pd.to_datetime(frame[time_col])
    rows = []
    first = times.min().floor("15min") - WINDOW + SLIDE
    for start in pd.date_range(first, times.max().floor("15min"), freq="15min"):
        inside = frame[(times >= start) & (times < start + WINDOW)]
        for key, part in inside.groupby(group):
            rows.append({group: key, "window_start": start, "window_end": start + WINDOW,
                         "revenue": round(float(part[value].sum()), 2),
                         "event_count": len(part)})
    return pd.DataFrame(rows)


def compare(expected: pd.DataFrame, got: pd.DataFrame, group: str) -> None:
    """Every window exactly once, with the same revenue and count."""
    keys = [group, "window_start"]
    assert not got.duplicated(keys).any(), got[got.duplicated(keys, keep=False)]
    merged = expected.merge(got, on=keys, how="outer", indicator=True, suffixes=("", "_got"))
    missing = merged[merged["_merge"] != "both"]
    assert missing.empty, f"windows on one side only:\n{missing.to_string()}"
    wrong = merged[(merged["event_count"] != merged["event_count_got"])
                   | ((merged["revenue"] - merged["revenue_got"]).abs() >= 0.006)]
    assert wrong.empty, f"windows with another count or revenue:\n{wrong.to_string()}"

"""Pure functions from windows to the streaming page's payloads.

Closed windows (Parquet) are final; open windows (live file) are provisional and marked so.
A window start present in both is taken from Parquet. Windows are 1 hour sliding every 15
minutes, so each event is in four windows: totals over time are taken only from windows
that tile the timeline (start aligned to the window length), counting each event once.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from services.outputs import EVENT_COUNT, REVENUE, WINDOW_END, WINDOW_START
from services.web.envelope import NoData, iso_z
from streaming_dashboard.data import Windows

PROVISIONAL = "provisional"


def combined(w: Windows) -> pd.DataFrame:
    """Closed and open windows in one frame with a `provisional` flag."""
    parts = []
    if w.closed is not None:
        parts.append(w.closed.assign(**{PROVISIONAL: False}))
    if w.live is not None:
        live = w.live
        if w.closed is not None:
            live = live[~live[WINDOW_START].isin(set(w.closed[WINDOW_START]))]
        parts.append(live.assign(**{PROVISIONAL: True}))
    if not parts:
        raise NoData("No windows yet.")
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if frame.empty:
        raise NoData("The streaming output holds no windows yet.")
    return frame


def geometry(frame: pd.DataFrame) -> tuple[float, float]:
    """(window length, slide) in minutes, read from the data (60 and 15 for the job)."""
    length = (frame[WINDOW_END] - frame[WINDOW_START]).median().total_seconds() / 60
    starts = pd.Series(sorted(frame[WINDOW_START].unique()))
    steps = starts.diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    slide = steps.min().total_seconds() / 60 if len(steps) else length
    return round(length, 3), round(slide, 3)


def timeline(w: Windows, top_n: int, max_windows: int) -> dict[str, Any]:
    """Revenue per window for the top N groups over the newest `max_windows` windows."""
    frame = combined(w)
    group = w.group
    starts = sorted(frame[WINDOW_START].unique())[-max_windows:]
    recent = frame[frame[WINDOW_START].isin(set(starts))]
    totals = recent.groupby(group)[REVENUE].sum().sort_values(ascending=False)
    top = list(totals.index[:top_n])
    pivot = (recent[recent[group].isin(top)]
             .pivot_table(index=WINDOW_START, columns=group, values=REVENUE, aggfunc="sum")
             .reindex(starts).fillna(0.0))
    provisional = recent.groupby(WINDOW_START)[PROVISIONAL].all().reindex(starts)
    length, slide = geometry(frame)
    return {
        "group_field": group,
        "labels": [_iso(s) for s in starts],
        "provisional": [bool(p) for p in provisional],
        "series": [{"group": str(g), "total": _money(totals[g]),
                    "values": [_money(v) for v in pivot[g]]} for g in top],
        "groups_total": len(totals),
        "window_minutes": length,
        "slide_minutes": slide,
        "notes": list(w.notes),
    }


def leaderboard(w: Windows, limit: int) -> dict[str, Any]:
    """Groups of the newest closed window (final), or of the oldest open one when none has
    closed yet, with each group's change against the window one slide earlier."""
    frame = combined(w)
    closed = frame[~frame[PROVISIONAL]]
    if len(closed):
        start = closed[WINDOW_START].max()
        pool = closed
    else:
        start = frame[WINDOW_START].min()
        pool = frame
    _, slide = geometry(frame)
    window = pool[pool[WINDOW_START] == start].sort_values(REVENUE, ascending=False)
    before = pool[pool[WINDOW_START] == start - pd.Timedelta(minutes=slide)]
    previous = before.set_index(w.group)[REVENUE].to_dict() if len(before) else {}
    total = float(window[REVENUE].sum())
    rows = []
    for rank, (_, row) in enumerate(window.head(limit).iterrows(), start=1):
        prior = previous.get(row[w.group])
        change = (row[REVENUE] - prior) / prior if prior else None
        rows.append({"rank": rank, "group": str(row[w.group]), "revenue": _money(row[REVENUE]),
                     "event_count": int(row[EVENT_COUNT]),
                     "share": _ratio(row[REVENUE] / total) if total else None,
                     "change": _ratio(change)})
    return {
        "group_field": w.group,
        "window_start": _iso(start),
        "window_end": _iso(window[WINDOW_END].max()),
        "provisional": bool(window[PROVISIONAL].all()),
        "rows": rows,
        "groups": len(window),
        "total_revenue": _money(total),
        "total_events": int(window[EVENT_COUNT].sum()),
        "compared_with": _iso(start - pd.Timedelta(minutes=slide)) if previous else None,
    }


def window_health(w: Windows, recent: int) -> dict[str, Any]:
    """How many windows and groups there are, groups per window, and totals counted once."""
    frame = combined(w)
    closed = frame[~frame[PROVISIONAL]]
    per_window = frame.groupby(WINDOW_START).agg(
        groups=(w.group, "nunique"), events=(EVENT_COUNT, "sum"), revenue=(REVENUE, "sum"),
        provisional=(PROVISIONAL, "all")).sort_index()
    tail = per_window.tail(recent)
    length, slide = geometry(frame)
    closed_groups = closed.groupby(WINDOW_START)[w.group].nunique() if len(closed) else None
    tiles = closed[_aligned(closed[WINDOW_START], length)] if len(closed) else closed
    return {
        "closed_windows": int(closed[WINDOW_START].nunique()),
        "open_windows": int(frame[frame[PROVISIONAL]][WINDOW_START].nunique()),
        "groups": int(frame[w.group].nunique()),
        "rows": len(closed),
        "files": w.files,
        "groups_per_window": None if closed_groups is None else {
            "min": int(closed_groups.min()), "max": int(closed_groups.max()),
            "avg": _ratio(closed_groups.mean()), "latest": int(closed_groups.iloc[-1])},
        "first_window": _iso(frame[WINDOW_START].min()),
        "last_window": _iso(frame[WINDOW_START].max()),
        "window_minutes": length,
        "slide_minutes": slide,
        "revenue_total": _money(tiles[REVENUE].sum()) if len(tiles) else None,
        "events_total": int(tiles[EVENT_COUNT].sum()) if len(tiles) else None,
        "recent": {
            "labels": [_iso(s) for s in tail.index],
            "groups": [int(v) for v in tail["groups"]],
            "events": [int(v) for v in tail["events"]],
            "provisional": [bool(v) for v in tail["provisional"]],
        },
        "notes": list(w.notes),
    }


def _aligned(starts: pd.Series, length_minutes: float) -> pd.Series:
    seconds = (starts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return (seconds % max(1, round(length_minutes * 60))) == 0


def _iso(moment: Any) -> str:
    return iso_z(pd.Timestamp(moment).to_pydatetime())


def _money(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else round(number, 2)


def _ratio(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else round(number, 6)

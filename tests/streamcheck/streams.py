"""A small faulted stream for the verifier's tests, the windows that pipelines right and
wrong make of it, and those windows written as a pipeline would: CSV, JSON Lines, a Parquet
file or our streaming job's sink.

The stream is a seeded list of distinct events (group, event time, value), each marked as
sent once or duplicated, on time, late (held back but inside the watermark) or too late
(beyond it). The answer is computed here by a plain loop over the events, independent of
services.streamcheck, so the verifier is checked against a second computation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from services.streamcheck import Answer, Ledger, OutputRows, WindowAnswer, iso_of_ms, money
from tests.dashboards.fixtures import write_sink

WINDOW_S, SLIDE_S, WATERMARK_S = 3600, 900, 900
START_MS = 1_741_000_000_000 // (SLIDE_S * 1000) * (SLIDE_S * 1000)  # early March 2025
GROUPS = ("Grocery", "Fuel", "Travel", "Pharmacy")
GROUP_FIELD = "merchant_category"
FORMATS = ("csv", "jsonl", "parquet", "sink")


@dataclass(frozen=True)
class Stream:
    groups: list[str]
    times_ms: np.ndarray
    values: np.ndarray
    duplicated: np.ndarray  # bool: sent twice
    late: np.ndarray  # bool: held back, inside the watermark
    too_late: np.ndarray  # bool: beyond the watermark, may be dropped

    def ledger(self, malformed: int = 3) -> Ledger:
        events, duplicates = len(self.groups), int(self.duplicated.sum())
        return Ledger(sent=events + duplicates + malformed, events=events,
                      duplicates=duplicates, malformed={"not_json": malformed},
                      late=int(self.late.sum()), out_of_order=0,
                      too_late=int(self.too_late.sum()))


def make_stream(events: int = 600, hours: int = 6, seed: int = 7) -> Stream:
    rng = np.random.default_rng(seed)
    kind = rng.random(events)
    return Stream(
        groups=[GROUPS[i] for i in rng.integers(0, len(GROUPS), events)],
        times_ms=START_MS + rng.integers(0, hours * 3_600_000, events),
        values=np.round(rng.uniform(1, 120, events), 2),
        duplicated=rng.random(events) < 0.06,
        late=kind < 0.06,
        too_late=(kind >= 0.06) & (kind < 0.08),
    )


def windows_of(time_ms: int) -> range:
    """The starts of the windows holding an event time (Spark's sliding windows)."""
    slide, window = SLIDE_S * 1000, WINDOW_S * 1000
    last = time_ms // slide * slide
    return range(last - window + slide, last + slide, slide)


def tally(stream: Stream, keep: np.ndarray, copies: np.ndarray | None = None
          ) -> dict[tuple[int, str], list[float]]:
    """(window start, group) -> [count, sum] over the kept events (each `copies` times)."""
    cells: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for i in np.flatnonzero(keep):
        times = 1 if copies is None else int(copies[i])
        for start in windows_of(int(stream.times_ms[i])):
            cell = cells[(start, stream.groups[i])]
            cell[0] += times
            cell[1] += times * float(stream.values[i])
    return cells


def expected_answer(stream: Stream) -> Answer:
    """Bounds: too-late events may each be dropped or counted."""
    everything = tally(stream, np.ones(len(stream.groups), dtype=bool))
    sure = tally(stream, ~stream.too_late)
    windows = tuple(
        WindowAnswer(group, start, int(sure.get((start, group), [0, 0.0])[0]), int(top[0]),
                     money(sure.get((start, group), [0, 0.0])[1]), money(top[1]))
        for (start, group), top in everything.items())
    return Answer(GROUP_FIELD, "amount", WINDOW_S, SLIDE_S, WATERMARK_S, windows,
                  stream.ledger())


def output_of(cells: dict[tuple[int, str], list[float]]) -> OutputRows:
    """A pipeline's rows from its cells, revenue rounded to cents as our job does."""
    keys = sorted(cells)
    return OutputRows.of([g for _, g in keys], [s for s, _ in keys],
                         [int(cells[k][0]) for k in keys], [money(cells[k][1]) for k in keys])


def correct(stream: Stream, drop_too_late: bool = True) -> OutputRows:
    """Deduplicates, counts the late events, drops (or keeps) the too-late ones."""
    keep = ~stream.too_late if drop_too_late else np.ones(len(stream.groups), dtype=bool)
    return output_of(tally(stream, keep))


def double_counting(stream: Stream) -> OutputRows:
    """Counts every duplicate copy as an event of its own."""
    return output_of(tally(stream, ~stream.too_late, copies=1 + stream.duplicated))


def dropping_late(stream: Stream) -> OutputRows:
    """Drops every event that arrived late, even inside the watermark."""
    return output_of(tally(stream, ~stream.too_late & ~stream.late))


def write_output(folder: Path, name: str, rows: OutputRows, fmt: str,
                 group: str = GROUP_FIELD) -> Path:
    """`rows` as a pipeline writes them: a CSV file with ISO times, a JSON Lines file with
    epoch-millisecond starts, a Parquet file with UTC timestamps, or our job's sink (two
    committed micro-batches). Returns what to give sdp-verify."""
    starts = rows.start_ms.tolist()
    if fmt == "csv":
        path = folder / f"{name}.csv"
        lines = [f"{group},window_start,window_end,revenue,event_count"]
        lines += [f"{g},{iso_of_ms(s)},{iso_of_ms(s + WINDOW_S * 1000)},{v:.2f},{c}"
                  for g, s, c, v in zip(rows.groups, starts, rows.counts, rows.sums,
                                        strict=True)]
        path.write_text("\n".join(lines) + "\n")
        return path
    if fmt == "jsonl":
        path = folder / f"{name}.jsonl"
        path.write_text("".join(
            json.dumps({group: g, "window_start": s, "event_count": int(c),
                        "revenue": float(v)}) + "\n"
            for g, s, c, v in zip(rows.groups, starts, rows.counts, rows.sums, strict=True)))
        return path
    frame = pd.DataFrame({
        group: rows.groups.astype(str),
        "window_start": pd.to_datetime(rows.start_ms, unit="ms", utc=True),
        "window_end": pd.to_datetime(rows.start_ms + WINDOW_S * 1000, unit="ms", utc=True),
        "revenue": rows.sums, "event_count": rows.counts})
    if fmt == "parquet":
        path = folder / f"{name}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        return path
    if fmt == "sink":
        sink = folder / name
        half = len(frame) // 2
        write_sink(sink, [frame.iloc[:half], frame.iloc[half:]], group_field=group)
        return sink
    raise ValueError(f"unknown format {fmt!r}; the formats are {', '.join(FORMATS)}")

"""The output contract between the jobs and the dashboards: names and layouts.

Batch, under OUT_LOCAL_CSV = .../analysis_csv:
  analysis_csv/part-*.csv       one CSV: <date>, <dimensions...>, record_count, sum_<m>...,
                                n_<m>... (values of <m> present), count_<flag>...,
                                avg_<m>... (sum_<m> / n_<m>), rate_<flag>...
  analysis_csv_kpis/part-*.csv  one row: the same measures over all rows
  analysis_csv_quality.json     the data-quality report (QUALITY_KEYS)
  analysis_csv_status.json      the job's state (JOB_KEYS): running, done, or failed and why
  analysis_csv_funnel/part-*.csv a lifecycle dataset's funnel: <date>, FUNNEL_COLUMNS
                                (services.spark.funnel says what each means)
Streaming, under OUTPUT_PATH = .../streaming_product_revenue:
  streaming_.../                Parquet sink (closed windows, final): <group>, window_start,
                                window_end, revenue, event_count; committed files are the
                                ones listed in _spark_metadata
  streaming_..._live.json       open windows, provisional, rewritten each micro-batch
                                (LIVE_KEYS; `windows` rows use the Parquet column names)
  streaming_..._status.json     the job's state (JOB_KEYS) from its start, and the last
                                micro-batch's progress (PROGRESS_KEYS) once there is one, with
                                the ledger of every event read since the query began
                                (LEDGER_KEYS)
  streaming_..._quarantine/     Parquet, append, exactly once: every poison message as read
                                (QUARANTINE_COLUMNS; `reason` one of MALFORMED_KINDS)
The windows (services.schema.windows): WINDOW_S long, sliding every SLIDE_S, closed once the
watermark (WATERMARK_S behind the newest event time) passes their end. An event whose time is at
or before the watermark of the batch that reads it is dropped as late. docs/STREAMCHECK.md
says what the job does with faults.
Times in JSON are ISO-8601 UTC with a trailing Z; Parquet timestamps are UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from services.common.paths import local_path
from services.schema import Analysis

RECORD_COUNT = "record_count"
WINDOW_START, WINDOW_END, REVENUE, EVENT_COUNT = (
    "window_start", "window_end", "revenue", "event_count")
UNKNOWN = "UNKNOWN"
RETAIL_GROUP = "product"  # the streaming job's retail mode groups windows by product

QUARANTINE_COLUMNS = ("key", "value", "topic", "partition", "offset", "kafka_timestamp",
                      "reason")
QUARANTINE_SUFFIX = "_quarantine"  # of OUTPUT_PATH (the Parquet) and of CHECKPOINT_DIR


def sum_of(measure: str) -> str:
    return f"sum_{measure}"


def present_of(measure: str) -> str:
    """How many values of a measure there were to sum: what its average divides by."""
    return f"n_{measure}"


def avg_of(measure: str) -> str:
    return f"avg_{measure}"


def count_of(flag: str) -> str:
    return f"count_{flag}"


def rate_of(flag: str) -> str:
    return f"rate_{flag}"


QUALITY_KEYS = ("dataset", "generated_at", "input_files", "rows_read", "rows_dropped",
                "rows_aggregated", "defaulted", "duration_seconds")
# Every job's status file, rewritten at each change of state. `state` is one of JOB_STATES;
# `started_at` is when this run of the job started, `ended_at` when it ended (null while it
# runs), `error` the one-line reason of a failure (null otherwise), `generated_at` when the
# file was written. A run that is killed outright (SIGKILL, out of memory) cannot say so: its
# file keeps the state it had.
STARTING, RUNNING, DONE, FAILED, STOPPED = "starting", "running", "done", "failed", "stopped"
JOB_STATES = (STARTING, RUNNING, DONE, FAILED, STOPPED)
ENDED_STATES = (DONE, FAILED, STOPPED)
JOB_KEYS = ("state", "started_at", "ended_at", "error", "generated_at")
# The streaming job's progress, from its first micro-batch on (its state is running then);
# rows_dropped_late and rows_dropped_invalid: the last batch's events dropped as late and
# records quarantined; `ledger` sums them (and the rest) over every batch.
PROGRESS_KEYS = ("query_id", "run_id", "batch_id", "batch_time", "input_rows",
                 "input_rows_per_second", "processed_rows_per_second", "rows_dropped_late",
                 "rows_dropped_invalid", "batch_duration_ms", "watermark", "lag_messages",
                 "trigger_seconds", "group_field", "value_field", "mode", "ledger")
STATUS_KEYS = (*JOB_KEYS, *PROGRESS_KEYS)
# read = counted + duplicates + late + quarantined, over the batches of query `query_id` up to
# `batch_id` (the query id survives restarts from the checkpoint); `late` counts events (not
# window rows); `missed_batches` counts batches the ledger never saw; `balanced` is true when
# the sum holds and nothing was missed (services.spark.stream_ledger)
LEDGER_KEYS = ("query_id", "batch_id", "read", "quarantined", "quarantined_by_reason",
               "duplicates", "late", "counted", "missed_batches", "balanced")


def job_summary(document: dict) -> dict | None:
    """The job keys of a status document; None when it names no known state (a file
    written before jobs recorded their state)."""
    if document.get("state") not in JOB_STATES:
        return None
    return {key: document.get(key) for key in JOB_KEYS}


LIVE_KEYS = ("generated_at", "batch_id", "provisional", "group_field", "value_field",
             "watermark", "windows")


@dataclass(frozen=True)
class BatchColumns:
    """Column names of the batch aggregates, derived from the schema's analysis."""

    date: str
    dimensions: tuple[str, ...]
    numeric: tuple[str, ...]  # the measures' names (analysis.measures)
    flags: tuple[str, ...]
    averaged: tuple[str, ...] = ()  # the measures whose average, not total, means something

    @classmethod
    def of(cls, analysis: Analysis) -> BatchColumns:
        return cls(analysis.date_column, analysis.dimensions,
                   tuple(m.name for m in analysis.measures), analysis.boolean_fields,
                   tuple(m.name for m in analysis.measures if m.agg == "mean"))

    @property
    def sums(self) -> tuple[str, ...]:
        return tuple(map(sum_of, self.numeric))

    @property
    def present(self) -> tuple[str, ...]:
        """How many values of each metric were there to sum (not null, a number): what its
        average divides by. Nulls are summed as 0 but never counted."""
        return tuple(map(present_of, self.numeric))

    @property
    def averages(self) -> tuple[str, ...]:
        return tuple(map(avg_of, self.numeric))

    @property
    def counts(self) -> tuple[str, ...]:
        return tuple(map(count_of, self.flags))

    @property
    def rates(self) -> tuple[str, ...]:
        return tuple(map(rate_of, self.flags))

    @property
    def measures(self) -> tuple[str, ...]:
        return (RECORD_COUNT, *self.sums, *self.present, *self.counts, *self.averages,
                *self.rates)

    @property
    def detail(self) -> tuple[str, ...]:
        return (self.date, *self.dimensions, *self.measures)


FUNNEL_SUFFIX = "_funnel"
STATE, NEXT_STATE = "state", "next_state"
REACHED, MOVED, CONVERSION, STEPS, MEDIAN_S, P90_S = (
    "reached", "moved", "conversion", "steps", "median_s", "p90_s")
FUNNEL_COLUMNS = (STATE, NEXT_STATE, REACHED, MOVED, CONVERSION, STEPS, MEDIAN_S, P90_S)


@dataclass(frozen=True)
class BatchOutputs:
    csv_dir: Path

    @property
    def kpis_dir(self) -> Path:
        return self.csv_dir.with_name(self.csv_dir.name + "_kpis")

    @property
    def quality_file(self) -> Path:
        return self.csv_dir.with_name(self.csv_dir.name + "_quality.json")

    @property
    def funnel_dir(self) -> Path:
        """A lifecycle dataset's funnel per day (services.spark.funnel)."""
        return self.csv_dir.with_name(self.csv_dir.name + FUNNEL_SUFFIX)

    @property
    def status_file(self) -> Path:
        return self.csv_dir.with_name(self.csv_dir.name + "_status.json")


@dataclass(frozen=True)
class StreamOutputs:
    parquet_dir: Path

    @property
    def live_file(self) -> Path:
        return self.parquet_dir.with_name(self.parquet_dir.name + "_live.json")

    @property
    def status_file(self) -> Path:
        return self.parquet_dir.with_name(self.parquet_dir.name + "_status.json")

    @property
    def quarantine_dir(self) -> Path:
        return Path(quarantine_location(str(self.parquet_dir)))


def quarantine_location(location: str) -> str:
    """Where the poison messages of OUTPUT_PATH go (or the checkpoint of CHECKPOINT_DIR's
    quarantine query): a sibling, any URI scheme."""
    return location.rstrip("/") + QUARANTINE_SUFFIX


def committed_parquet_files(sink_dir: Path) -> list[Path]:
    """The files a Spark file sink has committed, from its _spark_metadata log.

    Files in the folder but not in the log come from failed or repeated micro-batches;
    reading them would count rows twice. The log keeps one file per batch, compacted every
    few batches into `<n>.compact`; the newest compact file plus the later batches list
    every committed file. The log holds absolute paths as the writer saw them; a folder
    read elsewhere (a container's bind mount read on the host, a copied folder) is found
    through `in_sink`.
    """
    log_dir = sink_dir / "_spark_metadata"
    if not log_dir.is_dir():
        return []
    entries: dict[int, Path] = {}
    for item in log_dir.iterdir():
        stem = item.name.removesuffix(".compact")
        if stem.isdigit() and not item.name.startswith("."):
            entries[int(stem)] = item
    latest_compact = max((n for n, p in entries.items() if p.name.endswith(".compact")),
                         default=-1)
    files: dict[str, Path] = {}
    for batch in sorted(n for n in entries if n >= latest_compact):
        for line in entries[batch].read_text(encoding="utf-8").splitlines()[1:]:
            if not line.strip():
                continue
            record = json.loads(line)
            path = in_sink(local_path(record["path"]), sink_dir)
            if record.get("action", "add") == "delete":
                files.pop(str(path), None)
            else:
                files[str(path)] = path
    return [p for p in files.values() if p.exists()]


def in_sink(recorded: Path, sink_dir: Path) -> Path:
    """Where a file the sink's log records is now: as recorded if it is there, else at the
    same place under `sink_dir` (what follows the sink folder's name in the recorded path)."""
    if recorded.exists():
        return recorded
    folders = list(recorded.parts[:-1])
    if sink_dir.name in folders:
        at = len(folders) - 1 - folders[::-1].index(sink_dir.name)  # the last one
        return sink_dir.joinpath(*recorded.parts[at + 1:])
    return sink_dir / recorded.name

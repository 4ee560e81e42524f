"""The batch pipeline: wait for extracts, cleanse, aggregate once, publish.

Settings come from the environment with the containers' defaults; `make demo` points
them at ./data. The input is scanned exactly once: the raw aggregates are cached and every
output (Parquet, CSV, KPIs, data-quality report) is derived from them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from services.common import settings as s
from services.common.files import temporary_sibling, write_json_atomic
from services.common.paths import DEFAULT_SCHEMA, local_path
from services.outputs import DONE, FUNNEL_SUFFIX, RUNNING, BatchOutputs
from services.schema import Dataset, load_schema
from services.spark import aggregates, funnel
from services.spark.cleansing import VALID_TS, Roles, normalise, normalise_name
from services.spark.errors import quiet_task_failures, spark_error_message
from services.spark.extracts import (
    ExtractFile,
    InputError,
    avro_conf,
    read_extracts,
    wait_for_extracts,
)
from services.spark.job_shell import job_main
from services.spark.job_status import JobStatus
from services.spark.session import build_session
from services.spark.storage import RFC4180, as_local_uri, is_local, replace_folder

APP_NAME = "batch.schema_driven_pipeline"
DESCRIPTION = "The Spark batch pipeline: settings from the environment, see README."

log = logging.getLogger("batch")


OPTIONS = (
    s.SCHEMA_CONFIG_PATH,
    s.Option("use_hdfs", "USE_HDFS", s.boolean, False),
    s.Option("namenode", "HDFS_NAMENODE_URI", s.text, "hdfs://namenode:8020"),
    s.Option("input_path", "INPUT_PATH", s.text),
    s.Option("out_parquet", "OUT_PARQUET", s.text),
    s.Option("out_local_csv", "OUT_LOCAL_CSV", s.text, "/opt/spark-data/output/analysis_csv"),
    s.Option("spark_master", "SPARK_MASTER", s.text),
    s.Option("shuffle_partitions", "SPARK_SHUFFLE_PARTITIONS", s.count, 8),
    s.Option("input_wait_seconds", "INPUT_WAIT_SECONDS", s.wait_seconds, 300.0),
    s.Option("csv_multiline", "CSV_MULTILINE", s.boolean, False),
    s.SPARK_EVENT_LOG_DIR,
)


@dataclass(frozen=True)
class BatchJobSettings:
    schema_path: str
    use_hdfs: bool
    input_path: str
    out_parquet: str
    out_local_csv: str
    spark_master: str | None
    shuffle_partitions: int
    input_wait_seconds: float
    csv_multiline: bool
    event_log_dir: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BatchJobSettings:
        values = s.resolve(OPTIONS, env)
        namenode = values.pop("namenode").rstrip("/")
        base = f"{namenode}/data" if values["use_hdfs"] else "/opt/spark-data"
        return cls(**{
            **values,
            "schema_path": str(values["schema_path"] or DEFAULT_SCHEMA),
            "input_path": values["input_path"] or f"{base}/input",
            "out_parquet": values["out_parquet"] or f"{base}/output/analysis_parquet",
        })

    def resolve(self, uri: str) -> str:
        """Paths without a scheme are local unless USE_HDFS (then fs.defaultFS decides)."""
        return uri if self.use_hdfs else as_local_uri(uri)

    def status_file(self) -> Path | None:
        """The job's status file, beside the CSV folder the dashboard reads (when local)."""
        csv_uri = as_local_uri(self.out_local_csv)
        return BatchOutputs(local_path(csv_uri)).status_file if is_local(csv_uri) else None


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def lap(self) -> float:
        now = time.monotonic()
        elapsed, self.started = now - self.started, now
        return elapsed


def write_csv(spark: SparkSession, frame: DataFrame, uri: str,
              places: Mapping[str, int]) -> None:
    """One RFC 4180 CSV file (coalesced) with a header, doubles as plain decimals with their
    `places`, values exactly as they are (Spark would trim them), swapped into place when
    complete: pandas and Python's csv module read back what the Parquet holds."""
    staged = temporary_sibling(uri)
    single = frame.coalesce(1)
    single = single.sortWithinPartitions(*frame.columns[:-1]) if frame.columns else single
    (single.select(*aggregates.plain_text(single, places)).write.mode("overwrite")
     .options(**RFC4180, header=True, ignoreLeadingWhiteSpace=False,
              ignoreTrailingWhiteSpace=False)
     .csv(staged))
    replace_folder(spark, staged, uri)


def run(settings: BatchJobSettings, status: JobStatus) -> int:
    dataset = load_schema(settings.schema_path)
    roles = Roles.of(dataset.analysis)
    spark = build_session(APP_NAME, settings.spark_master, {
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions), **avro_conf()},
        event_log_dir=settings.event_log_dir)
    quiet_task_failures(spark)  # a corrupt extract is one line, not pages of Java traces
    status.set(RUNNING)
    try:
        return publish(spark, settings, dataset, roles)
    finally:
        spark.stop()


def publish(spark: SparkSession, settings: BatchJobSettings, dataset: Dataset, roles: Roles) -> int:
    watch, total = Stopwatch(), Stopwatch()
    extracts = wait_for_extracts(spark, settings.resolve(settings.input_path),
                                 settings.input_wait_seconds)
    log.info("found %d extract(s), %.1f MB, in %s", len(extracts),
             sum(e.size for e in extracts) / 1e6, settings.input_path)
    frame, empty = read_extracts(spark, extracts, dataset, settings.csv_multiline)
    for extract in empty:
        log.warning("empty extract skipped: %s", extract.uri)
    if frame is None:
        log.warning("every extract is empty: nothing to aggregate, outputs left as they were")
        return 0
    columns = aggregates.batch_columns(roles)
    normalised = normalise(frame, dataset)
    raw = aggregates.raw_aggregates(normalised, roles).cache()
    try:
        detail = aggregates.detail(raw, columns)
        # One task per date: one Parquet file per partition, not one per task and date.
        (detail.repartition(columns.date).write.mode("overwrite")
         .option("partitionOverwriteMode", "dynamic")
         .partitionBy(columns.date).parquet(settings.resolve(settings.out_parquet)))
    except Exception:
        culprit = unreadable_extract(spark, extracts)
        if culprit:
            raise InputError(culprit) from None
        raise
    log.info("scanned and aggregated the input, wrote Parquet to %s (%.1f s)",
             settings.out_parquet, watch.lap())
    csv_uri = as_local_uri(settings.out_local_csv)
    places = aggregates.decimals(columns)
    write_csv(spark, detail, csv_uri, places)
    write_csv(spark, aggregates.kpis(raw, columns), csv_uri.rstrip("/") + "_kpis", places)
    write_funnel(spark, normalised, dataset, roles, csv_uri)
    quality = aggregates.quality_counts(raw, columns)
    log.info("wrote CSV and KPIs to %s (%.1f s)", settings.out_local_csv, watch.lap())
    log.info("rows read %d, dropped for an invalid timestamp %d, aggregated %d",
             quality["rows_read"], quality["rows_dropped"]["invalid_timestamp"],
             quality["rows_aggregated"])
    if quality["rows_read"] == 0:
        log.warning("the extracts hold a header but no rows")
    report = {
        "dataset": dataset.analysis.name,
        "generated_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "input_files": [e.uri for e in extracts if e not in empty],
        **quality,
        "duration_seconds": round(total.lap(), 2),
    }
    if is_local(csv_uri):
        write_json_atomic(BatchOutputs(local_path(csv_uri)).quality_file, report)
    raw.unpersist()
    log.info("batch job done in %.1f s", report["duration_seconds"])
    return 0


def write_funnel(spark: SparkSession, normalised: DataFrame, dataset: Dataset, roles: Roles,
                 csv_uri: str) -> None:
    """A lifecycle dataset's funnel beside the CSV (a second read of the input: its
    episodes need the rows, not the daily sums)."""
    lifecycle = dataset.lifecycle
    if lifecycle is None:
        return
    episode = funnel.episode_field(dataset)
    if episode is None:
        log.warning("no funnel: the schema has a lifecycle but no id_sequence or uuid field "
                    "to tell its episodes apart")
        return
    rows = normalised.where(F.col(VALID_TS))
    table = funnel.funnel(rows, replace(lifecycle, state_field=normalise_name(
        lifecycle.state_field)), normalise_name(episode), roles.timestamp, roles.date)
    write_csv(spark, table, csv_uri.rstrip("/") + FUNNEL_SUFFIX, funnel.DECIMALS)


def unreadable_extract(spark: SparkSession, extracts: list[ExtractFile]) -> str | None:
    """After a failed scan, name the gzip or Avro extract that cannot be read, if there is
    one (their blocks are read by the tasks, not when the files are listed)."""
    for extract in extracts:
        avro = extract.kind == "avro"
        if avro or extract.name.lower().endswith(".gz"):
            try:
                (spark.read.format("avro").load(extract.uri) if avro
                 else spark.read.text(extract.uri)).count()
            except Exception as inner:
                return (f"{extract.uri}: cannot be read ({spark_error_message(inner)}); "
                        "remove or replace it, then run again")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """The batch job's command: runs to its end; a signal stops its session (SparkStop)."""
    return job_main(argv, prog="pipeline_batch.py", title="batch job", description=DESCRIPTION,
                    log_name="batch", settings=BatchJobSettings.from_env,
                    run_job=lambda settings, _stop, status: run(settings, status),
                    status_file=BatchJobSettings.status_file, returns_in=DONE,
                    stop_spark_on_signal=True)

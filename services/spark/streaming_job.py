"""The streaming job: Kafka -> windowed revenue -> Parquet, plus a live view and a quarantine.

Two queries read the topic, each through the same intake (services.spark.stream_intake):
the main one deduplicates the valid events and appends closed windows to the Parquet sink
(exactly once across restarts: checkpoint + the sink's log) and keeps the ledger; the
quarantine query appends every poison record to its own Parquet, exactly once too. Both
start from the same offsets (services.spark.kafka_offsets), so the quarantine holds exactly
the poison the ledger counts. The live view of still-open windows is no query: after each
main batch it reads them from the main query's state (services.spark.stream_live). Each
query reads a topic partition in as many tasks as the session has cores (`minPartitions`):
a backlog on a topic of few partitions is parsed on every core. Settings come from the
environment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from services.common import settings as s
from services.common.cli import UsageError
from services.common.paths import local_path
from services.outputs import STOPPED, StreamOutputs, quarantine_location
from services.schema import Dataset, load_schema
from services.spark.errors import spark_error_message
from services.spark.job_shell import job_main
from services.spark.job_status import JobStatus
from services.spark.kafka_connector import Connector, resolve_connector
from services.spark.kafka_offsets import resolved_start
from services.spark.session import SparkStop, build_session
from services.spark.storage import as_local_uri, is_local
from services.spark.stream_intake import (
    DEFAULT_FUTURE_HORIZON_MS,
    EventSpec,
    classify,
    quarantined,
    valid_events,
)
from services.spark.stream_ledger import (
    COUNTED_METRIC,
    VALID_METRIC,
    observe_intake,
    observe_rows,
)
from services.spark.stream_live import LiveView
from services.spark.stream_monitor import LEDGER, ProgressMonitor
from services.spark.stream_transforms import (
    build_aggregations,
    deduplicated,
    retail_spec,
    schema_spec,
    transform_orders,
    transform_schema_events,
)
from services.spark.stream_wire import FORMATS as WIRE_FORMATS
from services.spark.stream_wire import decoded, local_python, time_formats
from services.spark.trigger_interval import interval_setting, trigger_ms
from services.streamcheck import RETAIL, StreamShape, schema_shape

APP_NAME = "stream.retail_sales_aggregator"
DESCRIPTION = ("Spark Structured Streaming: windowed revenue from Kafka; settings from the "
               "environment, see README.")
MAIN_QUERY = "windowed_revenue"
QUARANTINE_QUERY = "quarantine"
CARRIED = (LEDGER,)  # what a restart keeps of the last run's status: the ledger goes on
MODES = ("auto", "schema", "retail")
DEFAULT_TRIGGER = "30 seconds"
STATE_STORE_CONF = "spark.sql.streaming.stateStore.providerClass"
STATE_STORES = {  # a checkpoint keeps the provider it was started with
    "hdfs": "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider",
    "rocksdb": "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
}
BATCH_END_WAIT_S = 30.0  # at a stop, how long a micro-batch in flight may take to finish
log = logging.getLogger("stream")


OPTIONS = (
    s.Option("mode", "STREAM_MODE", s.choice(*MODES), "auto"),
    s.SCHEMA_CONFIG_PATH,
    s.Option("bootstrap_servers", "KAFKA_BOOTSTRAP_SERVERS", s.text, "kafka:9092"),
    s.Option("topic", "KAFKA_TOPIC", s.text, "sales"),
    s.Option("output_path", "OUTPUT_PATH", s.text,
             "hdfs://namenode:8020/data/output/streaming_product_revenue"),
    s.Option("checkpoint_dir", "CHECKPOINT_DIR", s.text,
             "/opt/spark-checkpoints/streaming_product_revenue"),
    s.Option("trigger", "STREAM_TRIGGER_INTERVAL", s.text, DEFAULT_TRIGGER),
    s.Option("starting_offsets", "STARTING_OFFSETS", s.text, "latest"),
    s.Option("shuffle_partitions", "SPARK_SHUFFLE_PARTITIONS", s.count, 4),
    s.Option("spark_master", "SPARK_MASTER", s.text),
    s.Option("group_field", "STREAM_GROUP_FIELD", s.text),
    s.Option("value_field", "STREAM_VALUE_FIELD", s.text),
    s.Option("max_offsets_per_trigger", "STREAM_MAX_OFFSETS_PER_TRIGGER", s.count),
    s.Option("state_store", "STREAM_STATE_STORE", s.choice(*STATE_STORES), "hdfs"),
    s.Option("future_horizon_ms", "STREAM_FUTURE_HORIZON", interval_setting,
             DEFAULT_FUTURE_HORIZON_MS),
    s.Option("live_view", "STREAM_LIVE_VIEW", s.boolean, True),
    s.Option("monitor_dir", "STREAM_MONITOR_DIR", s.text),
    s.Option("event_format", "EVENT_FORMAT", s.choice(*WIRE_FORMATS), "json"),
    s.Option("registry_url", "SCHEMA_REGISTRY_URL", s.text,
             "http://registry:8081/apis/ccompat/v7"),
    s.SPARK_EVENT_LOG_DIR,
)


@dataclass(frozen=True)
class StreamJobSettings:
    bootstrap_servers: str
    topic: str
    output_path: str
    checkpoint_dir: str
    trigger_ms: int
    starting_offsets: str
    shuffle_partitions: int
    spark_master: str | None
    mode: str
    schema_path: str | None
    group_field: str | None
    value_field: str | None
    max_offsets_per_trigger: int | None
    state_store: str
    future_horizon_ms: int
    live_view: bool
    monitor_dir: str | None
    event_format: str  # json, or avro / json-schema: decoded by schema id (stream_wire)
    registry_url: str
    event_log_dir: str
    connector: Connector  # the Spark Kafka connector (SPARK_KAFKA_JAR_DIR, ..._PACKAGE)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StreamJobSettings:
        values = s.resolve(OPTIONS, env)
        schema_path = values.pop("schema_path")
        mode = values.pop("mode")
        if mode == "auto":
            mode = "schema" if schema_path else "retail"
        if mode == "schema" and not schema_path:
            raise UsageError("STREAM_MODE=schema needs SCHEMA_CONFIG_PATH (the schema file)")
        interval = trigger_ms("STREAM_TRIGGER_INTERVAL", values.pop("trigger"))
        return cls(**values, mode=mode, schema_path=str(schema_path) if schema_path else None,
                   trigger_ms=interval, connector=resolve_connector(env))

    @property
    def trigger(self) -> str:
        """Spark's processingTime string for the interval read from the setting."""
        return f"{self.trigger_ms} milliseconds"

    @property
    def trigger_seconds(self) -> float:
        return self.trigger_ms / 1000

    def uri(self, path: str) -> str:
        return path if not is_local(path) else as_local_uri(path)

    def monitor_files(self) -> StreamOutputs | None:
        """Where the status and live files go: beside a local OUTPUT_PATH, else in
        STREAM_MONITOR_DIR."""
        if is_local(self.output_path):
            return StreamOutputs(local_path(self.uri(self.output_path)))
        if self.monitor_dir:
            name = self.output_path.rstrip("/").rsplit("/", 1)[-1]
            return StreamOutputs(Path(self.monitor_dir) / name)
        return None

    def status_file(self) -> Path | None:
        files = self.monitor_files()
        return files.status_file if files else None


@dataclass
class Pipeline:
    """The running queries, their monitor and the live view."""

    spark: SparkSession
    main: StreamingQuery
    quarantine: StreamingQuery
    live: LiveView | None
    monitor: ProgressMonitor

    @property
    def queries(self) -> list[StreamingQuery]:
        return [self.main, self.quarantine]

    def stop(self) -> None:
        """Stop every query once its micro-batch in flight has ended; the monitor then
        counts any batch of the main query whose report the listener has not delivered yet
        (the ledger counts each batch once).

        Why wait: a stop that lands after a batch's commit but before its progress report
        leaves the ledger a batch short for good (the restart does not replay a committed
        batch); the ledger would say so (`missed_batches`), but it need not happen."""
        for query in self.queries:
            if query.isActive:
                batch_ended(query, BATCH_END_WAIT_S)
                query.stop()
        self.monitor.catch_up(self.main.recentProgress)
        self.spark.streams.removeListener(self.monitor)
        if self.live is not None:  # shows the last batch, before the session stops
            self.live.close()


def batch_ended(query: StreamingQuery, timeout: float) -> bool:
    """Wait until the micro-batch running now, if any, has been reported (false after
    `timeout` s). Not until the trigger is idle: a query behind its input runs batches back
    to back, and that wait would last until it has caught up."""
    def reported() -> int:
        last = query.lastProgress
        return int(last["batchId"]) if last else -1

    before = reported()
    deadline = time.monotonic() + timeout
    while (query.isActive and query.status.get("isTriggerActive")
           and reported() == before):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


@dataclass(frozen=True)
class Mode:
    """What the events are (for the intake) and how they become windows."""

    spec: EventSpec
    shape: StreamShape
    dataset: Dataset | None

    @classmethod
    def of(cls, settings: StreamJobSettings, dataset: Dataset | None) -> Mode:
        if settings.mode == "retail" or dataset is None:
            dataset, spec, shape = None, retail_spec(), RETAIL
        else:
            shape = schema_shape(dataset, settings.group_field, settings.value_field)
            spec = schema_spec(dataset, shape)
        return cls(replace(spec, horizon_ms=settings.future_horizon_ms), shape, dataset)

    def transform(self, events: DataFrame) -> DataFrame:
        if self.dataset is None:
            return transform_orders(events)
        return transform_schema_events(events, self.dataset, self.shape)


def records(spark: SparkSession, settings: StreamJobSettings, starting: str,
            mode: Mode) -> DataFrame:
    """The Kafka source, as each query reads it, from `starting` (resolved once for all),
    in at least one task per core of the session; Avro and JSON Schema values decoded into
    the events' JSON text beside them."""
    reader = (spark.readStream.format("kafka")
              .option("kafka.bootstrap.servers", settings.bootstrap_servers)
              .option("subscribe", settings.topic)
              .option("startingOffsets", starting)
              .option("minPartitions", spark.sparkContext.defaultParallelism)
              .option("failOnDataLoss", "false"))
    if settings.max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", settings.max_offsets_per_trigger)
    if settings.event_format == "json":
        return reader.load()
    return decoded(reader.load(), settings.registry_url, time_formats(mode.dataset))


def windows(spark: SparkSession, settings: StreamJobSettings, mode: Mode,
            starting: str) -> DataFrame:
    """Kafka -> intake -> valid events transformed -> deduplicated -> windows, observed at
    each step for the ledger (services.spark.stream_ledger)."""
    classified = observe_intake(classify(records(spark, settings, starting, mode),
                                         mode.spec))
    rows = observe_rows(mode.transform(valid_events(classified, mode.spec)), VALID_METRIC)
    counted = observe_rows(deduplicated(rows, mode.shape), COUNTED_METRIC)
    return build_aggregations(counted, mode.shape)


def start(spark: SparkSession, settings: StreamJobSettings, dataset: Dataset | None,
          status: JobStatus | None = None) -> Pipeline:
    """Start the main query, the quarantine (and the live view); returns once they run. The
    main query's progress goes to `status` (by default a new one over the settings' status
    file, carrying the ledger of the run before)."""
    mode = Mode.of(settings, dataset)
    shape = mode.shape
    spark.conf.set(STATE_STORE_CONF, STATE_STORES[settings.state_store])
    files = settings.monitor_files()
    if files is None:
        log.warning("OUTPUT_PATH %s is not local and STREAM_MONITOR_DIR is unset: no status "
                    "or live files", settings.output_path)
    status = status or JobStatus(settings.status_file(), carried=CARRIED)
    monitor = ProgressMonitor(MAIN_QUERY, status, shape, settings.mode,
                              settings.trigger_seconds)
    starting = resolved_start(spark, settings.bootstrap_servers, settings.topic,
                              settings.starting_offsets)
    if starting != settings.starting_offsets:
        log.info("STARTING_OFFSETS=%s is %s for every query", settings.starting_offsets,
                 starting)
    live = None
    if settings.live_view and files is not None:
        live = monitor.live = LiveView(spark, settings.uri(settings.checkpoint_dir),
                                       files.live_file, shape)
    spark.streams.addListener(monitor)
    if settings.event_format != "json":
        local_python(spark)
    main = (windows(spark, settings, mode, starting).writeStream.queryName(MAIN_QUERY)
            .format("parquet").outputMode("append")
            .option("path", settings.uri(settings.output_path))
            .option("checkpointLocation", settings.uri(settings.checkpoint_dir))
            .trigger(processingTime=settings.trigger).start())
    poison = quarantined(classify(records(spark, settings, starting, mode), mode.spec))
    quarantine = (poison.writeStream.queryName(QUARANTINE_QUERY).format("parquet")
                  .outputMode("append")
                  .option("path", settings.uri(quarantine_location(settings.output_path)))
                  .option("checkpointLocation",
                          settings.uri(quarantine_location(settings.checkpoint_dir)))
                  .trigger(processingTime=settings.trigger).start())
    log.info("streaming %s from %s (topic %s, mode %s: %s by %s, value %s) to %s every %s s",
             "events", settings.bootstrap_servers, settings.topic, settings.mode, shape.time,
             shape.group, shape.value, settings.output_path, settings.trigger_seconds)
    return Pipeline(spark, main, quarantine, live, monitor)


def run(settings: StreamJobSettings, stop: SparkStop, status: JobStatus) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or until a query fails (raises). The status is
    running from the main query's first micro-batch on.

    On a signal the queries are stopped, then the session (the JVM does not get the signal:
    see services.spark.session), so the checkpoint holds the last committed batch and a
    restart goes on from there."""
    dataset = load_schema(settings.schema_path) if settings.mode == "schema" else None
    log.info("Kafka connector: %s", settings.connector.source)
    spark = pipeline = None
    try:
        spark = build_session(APP_NAME, settings.spark_master, {
            "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
            **settings.connector.conf}, event_log_dir=settings.event_log_dir)
        pipeline = start(spark, settings, dataset, status=status)
        wait(spark, pipeline, stop.requested)
    except Exception:
        if not stop.requested.is_set():
            raise
        log.debug("the stop interrupted the start or a query", exc_info=True)
    finally:
        if spark is not None:
            shutdown(spark, pipeline)
    if stop.requested.is_set():
        log.info("stopped by signal (%s)", stop.name)
    return 0


def wait(spark: SparkSession, pipeline: Pipeline, stop: threading.Event) -> None:
    """Until a signal, or until a query ends (a failure raises with its cause)."""
    while not stop.is_set():
        if spark.streams.awaitAnyTermination(1):
            failed = [q for q in pipeline.queries if q.exception() is not None]
            if failed:
                raise RuntimeError(f"query {failed[0].name} failed: "
                                   f"{spark_error_message(failed[0].exception())}")
            return


def shutdown(spark: SparkSession, pipeline: Pipeline | None) -> None:
    """Stop the queries, then the session; a failure to stop is logged, not raised (the
    job's outcome, not the stop's, decides the exit code)."""
    if pipeline is not None:
        try:
            pipeline.stop()
        except Exception as exc:
            log.debug("while stopping the queries: %s", exc)
    try:
        spark.stop()
    except Exception as exc:
        log.debug("while stopping the session: %s", exc)


def main(argv: Sequence[str] | None = None) -> int:
    """The streaming job's command: it polls the stop request itself, so a signal leaves
    the session running until the queries stop in order."""
    return job_main(argv, prog="streaming_sales_aggregator.py", title="streaming job",
                    description=DESCRIPTION, log_name="stream",
                    settings=StreamJobSettings.from_env, run_job=run,
                    status_file=StreamJobSettings.status_file, returns_in=STOPPED,
                    carried=CARRIED,
                    stop_spark_on_signal=False)

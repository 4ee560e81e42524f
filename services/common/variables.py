"""Every environment variable the project reads: who reads it, its default as users see it,
and what it means. The README's configuration table is `markdown_table()` (a test keeps the
two equal), tests clear these variables before each test, and the Compose files may set
only these (besides the images' own).

Print the table with `python -m services.common.variables`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    read_by: str
    default: str
    meaning: str


CATALOGUE: dict[str, Variable] = {v.name: v for v in (
    Variable("SCHEMA_CONFIG_PATH", "all", "card schema", "the schema file"),
    Variable("LOG_LEVEL", "generator, producer, jobs, loader", "`INFO`",
             "DEBUG also shows tracebacks"),
    Variable("GENERATOR_OUTPUT_DIR", "generator", "`data/input`",
             "folder for `--output-dir`'s default"),
    Variable("GENERATOR_ROWS", "generator", "the schema's `entity_count`", "`--n`'s default"),
    Variable("KAFKA_BOOTSTRAP_SERVERS", "producer, streaming job", "`kafka:9092`",
             "Kafka brokers"),
    Variable("KAFKA_TOPIC", "producer, streaming job", "`sales`", "topic"),
    Variable("EVENT_INPUT_DIR", "producer", "`/opt/spark-data/input`", "extracts to replay"),
    Variable("EVENTS_PER_SECOND", "producer", "`5`",
             "target rate; <= 0 as fast as possible"),
    Variable("EVENT_SHUFFLE", "producer", "`false`",
             "replay in random order (`--shuffle`)"),
    Variable("EVENT_LOOP", "producer", "`false`", "replay again and again (`--loop`)"),
    Variable("EVENT_FAULTS", "producer, demo", "none (or the schema's `faults`)",
             "stream faults to inject, JSON or a file (`--faults`, docs/STREAMCHECK.md)"),
    Variable("EVENT_EXPECT_DIR", "producer", "none",
             "write the answer a correct pipeline must give here (`--expect`)"),
    Variable("KAFKA_CONNECT_TIMEOUT", "producer", "`60`",
             "seconds to retry a broker that is down at start"),
    Variable("KAFKA_CLIENT", "producer", "`auto`",
             "`kafka-python`, `confluent` (librdkafka), or `auto`: confluent for `--rate 0`"),
    Variable("KAFKA_COMPRESSION", "producer", "`none`",
             "message batch compression: `gzip`, `snappy`, `lz4`, `zstd` (`--compression`)"),
    Variable("EVENT_FORMAT", "producer, streaming job", "`json`",
             "`json`, `avro` or `json-schema`: the last two in Confluent's wire format, "
             "their schema in the registry (`--format`; the job decodes by schema id)"),
    Variable("SCHEMA_REGISTRY_URL", "producer, streaming job",
             "`http://registry:8081/apis/ccompat/v7`",
             "the schema registry's Confluent-compatible API (`--registry-url`)"),
    Variable("USE_HDFS", "batch job, generator (`--engine spark`)", "`false`",
             "read and write `hdfs://` paths"),
    Variable("HDFS_NAMENODE_URI", "batch job, generator (`--engine spark`)",
             "`hdfs://namenode:8020`", "NameNode for the HDFS defaults"),
    Variable("HDFS_WEBHDFS_URL", "generator (`--engine spark`)", "`http://NAMENODE:9870`",
             "WebHDFS that executors write HDFS parts through"),
    Variable("HADOOP_USER_NAME", "generator (`--engine spark`)", "the WebHDFS default",
             "HDFS user the parts are written as"),
    Variable("PYSPARK_PYTHON", "generator (`--engine spark`)", "this Python in local mode",
             "the executors' Python"),
    Variable("INPUT_PATH", "batch job", "`/opt/spark-data/input` (HDFS: `/data/input`)",
             "extracts: CSV, JSONL (optionally gzip), Parquet, Avro"),
    Variable("INPUT_WAIT_SECONDS", "batch job", "`300`", "how long to wait for extracts"),
    Variable("OUT_PARQUET", "batch job",
             "`/opt/spark-data/output/analysis_parquet` (HDFS: `/data/output/...`)",
             "Parquet by date"),
    Variable("OUT_LOCAL_CSV", "batch job, batch dashboard",
             "`/opt/spark-data/output/analysis_csv`",
             "CSV folder; KPIs in `<it>_kpis`, report in `<it>_quality.json`"),
    Variable("CSV_MULTILINE", "batch job", "`false`",
             "allow quoted line breaks in CSV (slower: files are not split)"),
    Variable("SPARK_MASTER", "jobs, generator (`--engine spark`)", "`local[*]`",
             "`spark://host:7077`, `yarn`, ..."),
    Variable("SPARK_SHUFFLE_PARTITIONS", "jobs", "batch 8, streaming 4", "shuffle partitions"),
    Variable("SPARK_EVENT_LOG_DIR", "jobs, generator (`--engine spark`)",
             "`spark-events/` (image: `/opt/spark-events`)",
             "event logs for the history server (a folder or URI); `none` writes none"),
    Variable("OUTPUT_PATH", "streaming job, streaming dashboard",
             "`hdfs://namenode:8020/data/output/streaming_product_revenue`",
             "Parquet sink of closed windows; live and status files beside it"),
    Variable("CHECKPOINT_DIR", "streaming job",
             "`/opt/spark-checkpoints/streaming_product_revenue`",
             "checkpoint (the live view reads the windows' state from it)"),
    Variable("STREAM_TRIGGER_INTERVAL", "streaming job", "`30 seconds`",
             "micro-batch interval, as Spark's processing-time trigger reads it (`1 hour`, "
             "`interval 500 milliseconds`)"),
    Variable("STARTING_OFFSETS", "streaming job", "`latest`",
             "`earliest` to read the topic from the start, or Spark's offsets JSON"),
    Variable("STREAM_MODE", "streaming job, producer (`--expect`)",
             "`schema` with a schema file, else `retail`", "kind of events"),
    Variable("STREAM_GROUP_FIELD", "streaming job, producer (`--expect`)", "first dimension",
             "group column (schema mode)"),
    Variable("STREAM_VALUE_FIELD", "streaming job, producer (`--expect`)",
             "the first summed measure", "summed measure or field (schema mode)"),
    Variable("STREAM_MAX_OFFSETS_PER_TRIGGER", "streaming job", "unlimited",
             "cap per micro-batch"),
    Variable("STREAM_STATE_STORE", "streaming job", "`hdfs`",
             "state store of windows and deduplication: `hdfs` (in memory, checkpointed) or "
             "`rocksdb`"),
    Variable("STREAM_FUTURE_HORIZON", "streaming job, demo", "`1 day` (`make demo`: "
             "enough for its --time-scale)",
             "an event further ahead of the clock (or of the schema's window end, if later) "
             "is quarantined as `future_time`"),
    Variable("STREAM_LIVE_VIEW", "streaming job", "`true`", "write the open-window snapshot"),
    Variable("STREAM_MONITOR_DIR", "streaming job", "beside `OUTPUT_PATH`",
             "where live/status files go when the sink is not local"),
    Variable("SPARK_KAFKA_JAR_DIR", "streaming job, tests", "project cache",
             "the Spark Kafka connector's jars"),
    Variable("SPARK_KAFKA_PACKAGE", "streaming job", "derived from the Spark version",
             "Maven coordinates of the connector"),
    Variable("KAFKA_HOME", "`services.infra`", "project cache", "use an existing Kafka"),
    Variable("HADOOP_HOME", "`services.infra`", "project cache", "use an existing Hadoop"),
    Variable("SPARK_HOME", "`services.infra`, streaming job", "pyspark's",
             "use an existing Spark"),
    Variable("JAVA_HOME", "`services.infra`", "`java` on the PATH", "use another JDK"),
    Variable("DASHBOARD_HOST", "batch dashboard", "`127.0.0.1`",
             "where it listens (`0.0.0.0` in containers)"),
    Variable("DASHBOARD_PORT", "batch dashboard", "`5000`", "its port"),
    Variable("DASHBOARD_REFRESH_SECONDS", "batch dashboard", "`5`", "polling interval"),
    Variable("DASHBOARD_STALE_AFTER", "batch dashboard", "`3`",
             "data counts as stale after this many intervals"),
    Variable("STREAMING_DASHBOARD_HOST", "streaming dashboard", "`127.0.0.1`",
             "where it listens"),
    Variable("STREAMING_DASHBOARD_PORT", "streaming dashboard", "`5100`", "its port"),
    Variable("STREAMING_DASHBOARD_REFRESH_SECONDS", "streaming dashboard", "`5`",
             "polling interval"),
    Variable("STREAMING_DASHBOARD_STALE_AFTER", "streaming dashboard", "`3`",
             "data counts as stale after this many intervals"),
    Variable("STREAM_TOP_N", "streaming dashboard", "`8`", "groups on the timeline"),
    Variable("STREAM_EXPECTED_DIR", "streaming dashboard", "unset",
             "an expected answer (`sdp-verify --expected`) to check closed windows against"),
    Variable("CHARTJS_PATH", "dashboards", "`node_modules/chart.js/dist/chart.umd.min.js`",
             "a local Chart.js"),
)}


def markdown_table() -> str:
    rows = ["| variable | read by | default | meaning |", "|---|---|---|---|"]
    rows += [f"| `{v.name}` | {v.read_by} | {v.default} | {v.meaning} |"
             for v in CATALOGUE.values()]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())

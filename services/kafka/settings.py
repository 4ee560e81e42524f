"""The producer's settings: command-line flags over environment defaults, read once.

Flags and their variables: --bootstrap-servers
(KAFKA_BOOTSTRAP_SERVERS, kafka:9092), --topic (KAFKA_TOPIC, sales), --input-dir
(EVENT_INPUT_DIR, /opt/spark-data/input), --rate (EVENTS_PER_SECOND, 5; <= 0 = as fast as
possible), --shuffle, --loop, --format (EVENT_FORMAT, json), --registry-url
(SCHEMA_REGISTRY_URL), --log-level (LOG_LEVEL).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common import settings as s
from services.common.cli import LOG_LEVELS, ArgumentParser, UsageError

DEFAULT_BOOTSTRAP = "kafka:9092"
DEFAULT_TOPIC = "sales"
DEFAULT_INPUT_DIR = "/opt/spark-data/input"
DEFAULT_RATE = 5.0
DEFAULT_CONNECT_TIMEOUT = 60.0
DEFAULT_DELIVERY_TIMEOUT = 120.0
DEFAULT_MAX_BUFFERED = 50_000
CLIENTS = ("auto", "kafka-python", "confluent")
COMPRESSIONS = ("none", "gzip", "snappy", "lz4", "zstd")
EVENT_FORMATS = ("json", "avro", "json-schema")
DEFAULT_REGISTRY_URL = "http://registry:8081/apis/ccompat/v7"
TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
SERVER = re.compile(r"^[^\s,:]+:\d{1,5}$")


@dataclass(frozen=True)
class ProducerSettings:
    bootstrap_servers: str
    topic: str
    input_dir: Path
    rate: float
    shuffle: bool
    loop: bool
    log_level: str
    config: Path | None
    key_field: str | None
    generate: bool
    time_scale: float | None
    max_events: int | None
    duration: float | None
    connect_timeout: float
    delivery_timeout: float
    max_buffered: int
    seed: int | None
    faults: str | None = None  # a fault spec: inline JSON or a file (see faults_spec)
    expect_dir: Path | None = None
    stream_mode: str = "auto"
    group_field: str | None = None
    value_field: str | None = None
    resume: bool = False
    client: str = "auto"
    compression: str = "none"
    event_format: str = "json"  # json, avro or json-schema (services.kafka.wire)
    registry_url: str = DEFAULT_REGISTRY_URL

    @property
    def framed(self) -> bool:
        """Whether events go in Confluent's wire format, their schema in the registry."""
        return self.event_format != "json"

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    @property
    def chosen_client(self) -> str:
        """`auto`: librdkafka when sending as fast as possible (measured: benchmarks/
        producer.py), kafka-python, the design's client, when a rate paces the run."""
        if self.client != "auto":
            return self.client
        return "confluent" if self.unlimited else "kafka-python"


DESCRIPTION = """\
Publish events to Kafka as JSON, one object per message (or, with --format, as Avro or
JSON Schema events in Confluent's wire format, their schema in a schema registry).

Replay (default): every .csv, .jsonl, .csv.gz, .jsonl.gz, .parquet and .avro file directly
in --input-dir is read (one object per row, keys and values trimmed, Parquet and Avro values as
their CSV text, blank rows skipped, bad rows logged with file and line and skipped), given an
ISO-8601 UTC `event_time` (copied from the schema's timestamp field, else the first
non-empty of order_ts, order_time, order_date, timestamp, else an existing event_time; a
row with them all blank or a time that does not parse is a bad row; only an extract with
none of these columns is stamped with the send time) and sent in event-time order.
Sorting needs every row in memory first: rows are kept rendered, as compact Arrow text
about the size of their JSON (a 500,000-row card extract, 80 MB of CSV, keeps 170 MB; the
whole process peaks near 400 MB).

Live (--generate --config SCHEMA): fresh records from the schema engine, stamped with the
send time, forever or until --max-events / --duration.
"""

EPILOG = """\
Exit codes: 0 done (also after SIGTERM), 1 the run failed or some events could not be
delivered, 2 bad arguments, 130 stopped by SIGINT (Ctrl-C). On SIGINT or SIGTERM the
producer stops reading, waits for the broker to confirm what it has sent (up to
--delivery-timeout), prints its totals and exits; a second signal stops waiting.
"""


ENV_OPTIONS = (
    s.Option("bootstrap_servers", "KAFKA_BOOTSTRAP_SERVERS", s.text, DEFAULT_BOOTSTRAP),
    s.Option("topic", "KAFKA_TOPIC", s.text, DEFAULT_TOPIC),
    s.Option("input_dir", "EVENT_INPUT_DIR", s.text, DEFAULT_INPUT_DIR),
    s.Option("rate", "EVENTS_PER_SECOND", s.number(), DEFAULT_RATE),
    s.Option("shuffle", "EVENT_SHUFFLE", s.boolean, False),
    s.Option("loop", "EVENT_LOOP", s.boolean, False),
    s.Option("connect_timeout", "KAFKA_CONNECT_TIMEOUT", s.number(),
             DEFAULT_CONNECT_TIMEOUT),
    s.SCHEMA_CONFIG_PATH,
    s.LOG_LEVEL,
    s.Option("faults", "EVENT_FAULTS", s.text),
    s.Option("expect_dir", "EVENT_EXPECT_DIR", s.text),
    s.Option("stream_mode", "STREAM_MODE", s.choice("auto", "schema", "retail"), "auto"),
    s.Option("group_field", "STREAM_GROUP_FIELD", s.text),
    s.Option("value_field", "STREAM_VALUE_FIELD", s.text),
    s.Option("client", "KAFKA_CLIENT", s.choice(*CLIENTS), "auto"),
    s.Option("compression", "KAFKA_COMPRESSION", s.choice(*COMPRESSIONS), "none"),
    s.Option("event_format", "EVENT_FORMAT", s.choice(*EVENT_FORMATS), "json"),
    s.Option("registry_url", "SCHEMA_REGISTRY_URL", s.text, DEFAULT_REGISTRY_URL),
)


def build_parser(defaults: Mapping[str, Any],
                 prog: str = "kafka_event_producer.py") -> ArgumentParser:
    """Flags whose defaults are the environment's values (ENV_OPTIONS); --rate and
    --connect-timeout stay None unless given, so a conflict names only what was typed."""
    parser = ArgumentParser(prog=prog, description=DESCRIPTION,
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--bootstrap-servers", default=defaults["bootstrap_servers"],
        help="host:port[,host:port...] (default: $KAFKA_BOOTSTRAP_SERVERS or %(default)s)")
    add("--topic", default=defaults["topic"],
        help="topic to publish to (default: $KAFKA_TOPIC or %(default)s)")
    add("--input-dir", default=defaults["input_dir"],
        help="folder of extracts to replay, or one extract file (default: $EVENT_INPUT_DIR "
             "or %(default)s)")
    add("--rate", type=float, default=None,
        help="target events per second, held by a schedule without drift; <= 0 sends as fast "
             "as possible (default: $EVENTS_PER_SECOND or 5)")
    add("--shuffle", action="store_true", default=defaults["shuffle"],
        help="replay in random order instead of event-time order. Beware: with a watermark "
             "downstream (the streaming job's is 15 minutes) most events then arrive later "
             "than the watermark and are silently dropped as late (default: $EVENT_SHUFFLE or "
             "false)")
    add("--loop", action="store_true", default=defaults["loop"],
        help="replay the extracts again and again until stopped; event times repeat on every "
             "pass, so a watermarked stream drops the repeats (use --generate for an endless "
             "stream that moves; default: $EVENT_LOOP or false)")
    add("--config", default=defaults["schema_path"],
        help="schema file: its analysis.timestamp_field becomes event_time, its first "
             "dimension the message key, and its fields keep their JSON types (default: "
             "$SCHEMA_CONFIG_PATH)")
    add("--key-field", help="field whose value is each event's id, the message key (default: "
                            "the schema's first uuid or id_sequence field; else the file and "
                            "line of a replayed row, or the seed and place of a live record)")
    add("--faults", default=defaults["faults"], metavar="SPEC",
        help="stream faults to inject: a JSON object or a JSON file (late, out_of_order, "
             "duplicates, too_late, malformed, bursts, pauses; docs/STREAMCHECK.md). Default: "
             "$EVENT_FAULTS, else the schema's `faults` section, else none; '{}' turns the "
             "schema's off")
    add("--expect", default=defaults["expect_dir"], metavar="DIR",
        help="write the answer a correct pipeline must give for what is sent (windows and "
             "ledger) into DIR, kept up to date while sending (default: $EVENT_EXPECT_DIR). "
             "It follows the streaming job's settings STREAM_MODE, STREAM_GROUP_FIELD and "
             "STREAM_VALUE_FIELD from the environment")
    add("--resume", action="store_true",
        help="send only what a killed run of the same plan (input, flags and --seed) did not "
             "get into the topic: the topic's end tells where it stopped. Without it a rerun "
             "sends everything again. Refused where it cannot be exact: --loop, --generate, "
             "--duration, rows stamped when sent, a topic that does not end with this plan's "
             "messages")
    add("--generate", action="store_true",
        help="live mode: stream fresh records from the --config schema instead of replaying")
    add("--time-scale", type=float, metavar="K",
        help="with --generate: replay the schema's time window K times faster than real time. "
             "Each window's entity_count records are sent in time order: a record at "
             "window start + d is sent d/K seconds after the window's turn began and stamped "
             "run start + d (plus one window length per earlier window), so event time "
             "advances K times faster than the wall clock, from the moment the run starts, "
             "and a 1-hour event-time window closes after 1/K hours. The pace then follows "
             "the data (entity_count x K / window length events per second), not --rate")
    add("--seed", type=int, help="seed of live records and of --shuffle (default: random)")
    add("--max-events", type=int, help="stop after this many events")
    add("--duration", type=float, help="stop after this many seconds of sending")
    add("--connect-timeout", type=float, default=None,
        help="seconds to keep retrying a broker that does not answer at start (default: "
             f"$KAFKA_CONNECT_TIMEOUT or {DEFAULT_CONNECT_TIMEOUT:.0f})")
    add("--delivery-timeout", type=float, default=DEFAULT_DELIVERY_TIMEOUT,
        help="seconds the client keeps retrying one message before it counts as failed "
             "(default: %(default).0f)")
    add("--max-buffered", type=int, default=DEFAULT_MAX_BUFFERED,
        help="at most this many events sent but not yet confirmed by the broker; sending "
             "pauses beyond it (default: %(default)s)")
    add("--client", choices=CLIENTS, default=defaults["client"],
        help="Kafka client: kafka-python, or confluent (librdkafka, several times faster); "
             "auto takes confluent for --rate 0 and kafka-python otherwise (default: "
             "$KAFKA_CLIENT or %(default)s)")
    add("--compression", choices=COMPRESSIONS, default=defaults["compression"],
        help="compression of message batches (default: $KAFKA_COMPRESSION or %(default)s)")
    add("--format", choices=EVENT_FORMATS, default=defaults["event_format"],
        help="json: one JSON object per message; avro or json-schema: the events' schema "
             "(derived from --config, docs/SCHEMA_FORMAT.md) is registered under "
             "TOPIC-value (compatibility BACKWARD) and each message is Confluent's wire "
             "format: a zero byte, the schema id (4 bytes), then Avro binary or the JSON "
             "(default: $EVENT_FORMAT or %(default)s)")
    add("--registry-url", default=defaults["registry_url"], metavar="URL",
        help="the schema registry's Confluent-compatible API, for --format avro and "
             "json-schema (default: $SCHEMA_REGISTRY_URL or %(default)s)")
    add("--log-level", type=str.upper, choices=LOG_LEVELS,
        default=defaults["log_level"], help="(default: $LOG_LEVEL or INFO)")
    return parser


def _check_servers(servers: str) -> str:
    parts = [s.strip() for s in servers.split(",") if s.strip()]
    bad = [s for s in parts if not SERVER.match(s)]
    if not parts or bad:
        raise UsageError(f"--bootstrap-servers {servers!r}: expected host:port[,host:port...]")
    return ",".join(parts)


def parse_settings(argv: Sequence[str] | None, env: Mapping[str, str],
                   prog: str = "kafka_event_producer.py") -> ProducerSettings:
    """Parse flags over environment defaults; every problem is a UsageError naming it."""
    defaults = s.resolve(ENV_OPTIONS, env)
    args = build_parser(defaults, prog).parse_args(argv)
    rate = defaults["rate"] if args.rate is None else args.rate
    connect = defaults["connect_timeout"] if args.connect_timeout is None else \
        args.connect_timeout
    checks = [
        (bool(TOPIC_NAME.match(args.topic)),
         f"--topic {args.topic!r}: a topic name is 1-249 of A-Z a-z 0-9 . _ -"),
        (math.isfinite(rate), f"--rate must be a finite number, got {rate}"),
        (0 < connect < math.inf, f"--connect-timeout must be > 0 seconds, got {connect:g}"),
        (2 <= args.delivery_timeout < math.inf,
         f"--delivery-timeout must be >= 2 seconds, got {args.delivery_timeout:g}"),
        (args.max_buffered >= 1, f"--max-buffered must be >= 1, got {args.max_buffered}"),
        (args.max_events is None or args.max_events >= 1,
         f"--max-events must be >= 1, got {args.max_events}"),
        (args.duration is None or 0 < args.duration < math.inf,
         f"--duration must be > 0 seconds, got {args.duration}"),
        (args.time_scale is None or 0 < args.time_scale < math.inf,
         f"--time-scale must be > 0, got {args.time_scale}"),
        (args.seed is None or 0 <= args.seed < 2**63,
         f"--seed must be between 0 and 2**63-1, got {args.seed}"),
        (not args.generate or args.config,
         "--generate needs a schema: give --config FILE (or set SCHEMA_CONFIG_PATH)"),
        (args.time_scale is None or args.generate, "--time-scale applies to --generate only"),
        (args.time_scale is None or args.rate is None,
         "--rate and --time-scale both set the pace; give one of them"),
        (not (args.generate and (args.shuffle or args.loop)),
         "--shuffle and --loop apply to replay, not to --generate (which never ends by itself)"),
        (not (args.resume and (args.loop or args.generate or args.duration is not None)),
         "--resume: a run with --loop, --generate or --duration sends no fixed plan to find "
         "its place in; resume a replay that ends by itself (--max-events is fine)"),
        (args.format == "json" or args.config,
         f"--format {args.format} derives the events' schema from the schema file: give "
         "--config FILE (or set SCHEMA_CONFIG_PATH)"),
        (args.format == "json" or not args.resume,
         f"--resume reads the topic's end as JSON; --format {args.format} cannot resume"),
        (args.format == "json" or re.match(r"^https?://[^\s/]+", args.registry_url),
         f"--registry-url / SCHEMA_REGISTRY_URL must be an http(s) URL, "
         f"got {args.registry_url!r}"),
        (not (args.expect and args.loop),
         "--expect with --loop: every pass repeats the same event times, which a watermarked "
         "pipeline drops as late; there is no one right answer (replay once, or --generate)"),
    ]
    problems = [message for ok, message in checks if not ok]
    if problems:
        raise UsageError("\n".join(problems))
    return ProducerSettings(
        bootstrap_servers=_check_servers(args.bootstrap_servers),
        topic=args.topic,
        input_dir=Path(args.input_dir),
        rate=rate,
        shuffle=args.shuffle,
        loop=args.loop,
        log_level=args.log_level,
        config=Path(args.config) if args.config else None,
        key_field=args.key_field.strip() if args.key_field else None,
        generate=args.generate,
        time_scale=args.time_scale,
        max_events=args.max_events,
        duration=args.duration,
        connect_timeout=connect,
        delivery_timeout=args.delivery_timeout,
        max_buffered=args.max_buffered,
        seed=args.seed,
        faults=args.faults or None,
        expect_dir=Path(args.expect) if args.expect else None,
        stream_mode=defaults["stream_mode"],
        group_field=defaults["group_field"] or None,
        value_field=defaults["value_field"] or None,
        resume=args.resume,
        client=args.client,
        compression=args.compression,
        event_format=args.format,
        registry_url=args.registry_url.rstrip("/"),
    )

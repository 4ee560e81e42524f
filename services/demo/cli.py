"""`make demo`: generate, start Kafka, run the batch job, start the streaming job and a live
producer, start both dashboards, print every URL and a status; Ctrl-C stops it all.

Everything runs on this machine without Docker: Spark in local mode, Kafka from the
project's jars, the local filesystem in place of HDFS. A demo killed without stopping
leaves pid files behind; the next demo stops those processes first.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.commands import generate
from services.common import settings
from services.common.cli import ArgumentParser, UsageError
from services.common.paths import DEFAULT_SCHEMA, REPO_ROOT
from services.common.signals import StopSignals
from services.demo.children import Children, wait_until
from services.demo.layout import Layout
from services.demo.status import batch_summary, status_line
from services.generator import clear_earlier_extracts
from services.infra import net, process
from services.infra.kafka import Kafka
from services.infra.registry import Registry
from services.kafka.cli import preflight
from services.kafka.offsets import starting_offsets
from services.schema import FaultSpec, load_schema
from services.spark.trigger_interval import trigger_ms

FAULTS = settings.Option("faults", "EVENT_FAULTS", settings.text)  # the --faults default
# Avro and JSON Schema events need a schema registry: the demo starts one beside Kafka.
EVENT_FORMAT = settings.Option("event_format", "EVENT_FORMAT",
                               settings.choice("json", "avro", "json-schema"), "json")
# a user's own horizon wins over the one the demo derives from --time-scale
HORIZON = settings.Option("future_horizon", "STREAM_FUTURE_HORIZON", settings.text)

PY = sys.executable
SPARK_ROWS = 1_000_000  # above this many rows the demo generates with Spark tasks
SCALED_RUN_DAYS = 30  # a scaled demo's events stay within the job's horizon this long


@dataclass(frozen=True)
class Options:
    schema: Path
    rows: int | None
    rate: float
    time_scale: float
    trigger: str
    workdir: Path
    status_every: float
    any_ports: bool
    faults: str | None = None  # the producer's --faults (EVENT_FAULTS), checked before start
    event_format: str = "json"  # avro, json-schema: a schema registry is started too


def parse(argv: Sequence[str] | None) -> Options:
    parser = ArgumentParser(prog="make demo", description=__doc__.splitlines()[0])
    parser.add_argument("--schema", default=str(DEFAULT_SCHEMA),
                        help="schema file (make demo SCHEMA=...)")
    parser.add_argument("--rows", type=int, help="rows to generate (make demo ROWS=...)")
    parser.add_argument("--rate", type=float, default=200.0,
                        help="live events per second into Kafka (make demo RATE=...)")
    parser.add_argument("--time-scale", type=float, default=60.0,
                        help="live event time runs this many times faster than the clock, so "
                             "hour windows close every 60/K minutes; 0: real time at --rate "
                             "(make demo TIME_SCALE=...)")
    parser.add_argument("--trigger", default="10 seconds",
                        help="streaming micro-batch interval (make demo TRIGGER=...)")
    parser.add_argument("--workdir", default=str(REPO_ROOT),
                        help="folder holding data/ and checkpoints/ (tests use a temp one)")
    parser.add_argument("--status-every", type=float, default=30.0,
                        help="seconds between status lines (0: none)")
    parser.add_argument("--faults", default=settings.value(FAULTS, os.environ),
                        metavar="SPEC",
                        help="stream faults for the live producer: a JSON object or file "
                             "(docs/STREAMCHECK.md; make demo FAULTS=..., $EVENT_FAULTS)")
    parser.add_argument("--format", choices=("json", "avro", "json-schema"),
                        default=settings.value(EVENT_FORMAT, os.environ),
                        help="the live events' format; avro and json-schema start a schema "
                             "registry too (make demo EVENT_FORMAT=...)")
    parser.add_argument("--any-ports", action="store_true",
                        help="free ports instead of 5000, 5100, 4040 and 9092 (tests)")
    args = parser.parse_args(argv)
    if args.rows is not None and args.rows < 1:
        raise UsageError(f"--rows must be >= 1, got {args.rows}")
    if args.rate <= 0:
        raise UsageError(f"--rate must be > 0, got {args.rate}")
    if args.time_scale < 0:
        raise UsageError(f"--time-scale must be >= 0, got {args.time_scale}")
    trigger_ms("--trigger", args.trigger)  # refused here, before any engine starts
    return Options(Path(args.schema).resolve(), args.rows, args.rate, args.time_scale,
                   args.trigger,
                   Path(args.workdir).resolve(), args.status_every, args.any_ports,
                   args.faults, args.format)


def port(preferred: int, options: Options) -> int:
    """The well-known port when it is free (and wanted), else any free one."""
    if not options.any_ports and net.port_is_free(preferred):
        return preferred
    return net.free_ports(1)[0]


def say(text: str = "") -> None:
    print(text, flush=True)


def fail(what: str, log: Path) -> int:
    say(f"demo: {what}; the last lines of {log}:")
    say(process.log_tail(log, 25))
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    load_schema(options.schema)  # a bad schema stops the demo before anything starts
    layout = Layout(options.workdir)
    # so does a fault spec the producer would refuse
    spec = preflight(producer_args(options, layout, "127.0.0.1:9092"), {})
    claim_workdir(layout)
    layout.prepare()
    children = Children(layout.run_dir)
    leftovers = children.stop_leftovers()
    if leftovers:
        say(f"demo: stopped what an earlier demo left running: {', '.join(leftovers)}")
    kafka = Kafka(layout.kafka_state, port=port(9092, options))
    registry = None
    if options.event_format != "json":
        registry = Registry(layout.registry_state, port=port(8081, options))
    with StopSignals() as stop:
        try:
            return run(options, layout, children, Engines(kafka, registry), stop.requested,
                       spec)
        finally:
            say("demo: stopping everything it started ...")
            children.stop_all()
            kafka.stop()
            if registry is not None:
                registry.stop()
            layout.owner_file.unlink(missing_ok=True)
            say("demo: stopped")


def claim_workdir(layout: Layout) -> None:
    """One demo per work folder: a running one is left alone; a crashed one's leftovers
    are stopped by the next demo (Children.stop_leftovers)."""
    owner = process.read_pid_file(layout.owner_file)
    if owner is not None and owner.pid != os.getpid() and process.is_alive(owner):
        raise UsageError(f"a demo is already running in {layout.root} (pid {owner.pid}); "
                         f"stop it with Ctrl-C in its terminal or `kill {owner.pid}`")
    me = process.PidRecord(os.getpid(), process.create_time(os.getpid()), "make demo")
    process.write_pid_file(layout.owner_file, me)


def generator_args(options: Options, layout: Layout) -> list[str]:
    """One extract (this process and its workers) up to SPARK_ROWS rows; above, a folder of
    part files written by Spark tasks (local mode, every core), which the batch job reads
    as it is. Either way the input folder then holds this run's data only (of what the
    generator writes: extracts of any format, parts folders and entity tables)."""
    rows = options.rows or load_schema(options.schema).entity_count
    args = ["--config", str(options.schema), "--no-progress"]
    if options.rows is not None:
        args += ["--n", str(options.rows)]
    if rows > SPARK_ROWS:  # --clear-output is the local engine's: clear before the run
        clear_earlier_extracts(layout.input)
        return [*args, "--engine", "spark", "--spark-master", "local[*]",
                "--out", str(layout.input / options.schema.stem)]
    return [*args, "--output-dir", str(layout.input), "--clear-output", "--workers", "0"]


def producer_args(options: Options, layout: Layout, bootstrap: str) -> list[str]:
    """The live producer's flags: paced as asked, with the faults if any, and always
    recording the answer a correct job gives (the streaming dashboard checks it)."""
    pace = (["--time-scale", f"{options.time_scale:g}"] if options.time_scale
            else ["--rate", f"{options.rate:g}"])
    faults = ["--faults", options.faults] if options.faults else []
    return ["--generate", "--config", str(options.schema), "--bootstrap-servers", bootstrap,
            "--topic", layout.topic, *pace, *faults, "--expect", str(layout.expected),
            "--format", options.event_format]


def future_horizon(time_scale: float) -> str | None:
    """The streaming job's STREAM_FUTURE_HORIZON for a producer K times faster than the
    clock: its event time leads the clock by (K - 1) x the time it has run, so the default
    day would quarantine every event after 24 minutes at K = 60. None: the default."""
    if time_scale <= 1:
        return None
    return f"{math.ceil((time_scale - 1) * SCALED_RUN_DAYS)} days"


def stream_horizon(time_scale: float, environ: Mapping[str, str]) -> str | None:
    """The user's STREAM_FUTURE_HORIZON when set, else the one --time-scale needs."""
    return settings.value(HORIZON, environ) or future_horizon(time_scale)


@dataclass(frozen=True)
class Engines:
    kafka: Kafka
    registry: Registry | None = None  # with EVENT_FORMAT avro or json-schema

    def start(self) -> tuple[str, dict[str, str]]:
        """(bootstrap servers, the settings that name the registry to its clients)."""
        say("demo: starting Kafka ...")
        bootstrap = self.kafka.start()[0].details.bootstrap_servers
        if self.registry is None:
            return bootstrap, {}
        say("demo: starting the schema registry ...")
        return bootstrap, {"SCHEMA_REGISTRY_URL": self.registry.start()[0].details.url}



def run(options: Options, layout: Layout, children: Children, engines: Engines,
        stop: threading.Event, faults: FaultSpec) -> int:
    if generate(generator_args(options, layout)):
        return 1
    bootstrap, registry = engines.start()
    wire = {**registry, "EVENT_FORMAT": options.event_format}  # the streaming job's too
    say("demo: running the Spark batch job (local mode) ...")
    batch = children.start("batch", [PY, str(REPO_ROOT / "services/batch/pipeline_batch.py")],
                           layout.batch_env(options.schema), layout.log("batch"))
    if not wait_until(lambda: not batch.alive() or stop.is_set(), timeout=3600):
        return fail("the batch job did not finish within an hour", batch.log)
    if stop.is_set():
        return 0
    if batch.returncode != 0:
        return fail(f"the batch job failed (exit code {batch.returncode})", batch.log)
    children.forget(batch)
    say(batch_summary(layout, options.schema))

    ui_port, batch_port, stream_port = (port(p, options) for p in (4040, 5000, 5100))
    layout.reset_stream()
    offsets = starting_offsets(bootstrap, layout.topic)  # before the producer's first event
    stream = children.start("stream", [PY, str(REPO_ROOT / "services/streaming/"
                                                      "streaming_sales_aggregator.py")],
                            {**layout.stream_env(options.schema, bootstrap, offsets,
                                                 options.trigger, ui_port,
                                                 stream_horizon(options.time_scale,
                                                                os.environ)), **wire},
                            layout.log("stream"))
    children.start("producer", [
        PY, str(REPO_ROOT / "services/event-generator/kafka_event_producer.py"),
        *producer_args(options, layout, bootstrap)], layout.env(**wire),
        layout.log("producer"))
    boards = [
        children.start("dashboard", [PY, "-m", "dashboard", "--port", str(batch_port)],
                       layout.dashboard_env(options.schema), layout.log("dashboard")),
        children.start("streaming-dashboard", [PY, "-m", "streaming_dashboard", "--port",
                                               str(stream_port)],
                       layout.dashboard_env(options.schema), layout.log("streaming-dashboard")),
    ]
    for child, url in ((boards[0], f"http://127.0.0.1:{batch_port}/healthz"),
                       (boards[1], f"http://127.0.0.1:{stream_port}/healthz")):
        if not wait_until(lambda u=url: net.get_json(u) is not None or stop.is_set(), 60):
            return fail(f"{child.name} did not answer at {url}", child.log)
    if not wait_until(lambda: net.is_listening(ui_port) or not stream.alive() or stop.is_set(),
                      180):
        return fail("the streaming job did not start", stream.log)
    say(screen(options, layout, bootstrap, batch_port, stream_port, ui_port, faults,
               wire.get("SCHEMA_REGISTRY_URL")))
    return watch(options, layout, children, stop)


def screen(options: Options, layout: Layout, bootstrap: str, batch_port: int,
           stream_port: int, ui_port: int, faults: FaultSpec,
           registry_url: str | None = None) -> str:
    rows = [
        ("Batch dashboard", f"http://127.0.0.1:{batch_port}"),
        ("Streaming dashboard", f"http://127.0.0.1:{stream_port}"),
        ("Spark UI (streaming job)", f"http://127.0.0.1:{ui_port}"),
        ("Kafka", f"{bootstrap}, topic {layout.topic}"),
        *([("Schema registry", f"{registry_url} (events: {options.event_format})")]
          if registry_url else []),
        ("Data", str(layout.data)),
        ("Logs", str(layout.logs)),
    ]
    width = max(len(label) for label, _ in rows)
    lines = ["", "The platform is running. Ctrl-C stops everything.", ""]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    if options.time_scale:
        pace = (f"event time {options.time_scale:g}x faster than the clock: an hour "
                f"window closes every {60 / options.time_scale:g} min")
    else:
        pace = f"{options.rate:g} events/s stamped now: a window closes 75 min after it opens"
    lines += ["", f"  Live producer: {options.schema.name}, {pace}.",
              f"  Stream faults: {faults.describe()}.",
              f"  The streaming job runs every {options.trigger}; open windows show at once, "
              "marked provisional; closed ones are checked against the producer's expected "
              f"answer ({layout.expected}).", ""]
    return "\n".join(lines)


def watch(options: Options, layout: Layout, children: Children,
          stop: threading.Event) -> int:
    """Until Ctrl-C: a status line now and then; a child that dies ends the demo."""
    last = time.monotonic()
    while not stop.wait(1.0):
        dead = children.dead()
        if dead:
            return fail(f"{dead[0].name} stopped unexpectedly", dead[0].log)
        if options.status_every and time.monotonic() - last >= options.status_every:
            last = time.monotonic()
            say(status_line(layout))
    return 0

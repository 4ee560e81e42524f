"""`python -m services.infra {kafka|hdfs|spark|registry} {start|stop|status}`: the engines
for a demo or a terminal. `start` prints the connection details as one JSON object on stdout
and returns once the engine is ready; messages go to stderr.

`... ENGINE run DAEMON` is the container mode: one daemon in the foreground on its
well-known ports, reaching the others by their Compose service names; `... ENGINE probe
DAEMON` is that container's healthcheck (exit 0 ready, 1 not yet).

Exit codes: 0 done (status: running), 1 failed, 2 bad arguments, 3 status: not running.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from services.common.cli import ArgumentParser, UsageError
from services.common.paths import SPARK_EVENTS
from services.infra import hdfs, kafka, registry, spark
from services.infra.engine import Engine

NOT_RUNNING = 3


def _kafka(state_dir: Path, external: str | None = None, **kwargs: Any) -> Engine[Any]:
    return kafka.Kafka(state_dir, external=external, **kwargs)


def _hdfs(state_dir: Path, **kwargs: Any) -> Engine[Any]:
    return hdfs.Hdfs(state_dir, **kwargs)


def _spark(state_dir: Path, event_log_dir: Path | None = None, **kwargs: Any) -> Engine[Any]:
    # The demo's history server reads the repo's spark-events/ folder, as the jobs write there.
    return spark.Spark(state_dir, event_log_dir=event_log_dir or SPARK_EVENTS,
                       **kwargs)


def _registry(state_dir: Path, **kwargs: Any) -> Engine[Any]:
    return registry.Registry(state_dir, **kwargs)


ENGINES: dict[str, tuple[Callable[..., Engine[Any]], Path]] = {
    "kafka": (_kafka, kafka.DEFAULT_STATE_DIR),
    "hdfs": (_hdfs, hdfs.DEFAULT_STATE_DIR),
    "spark": (_spark, spark.DEFAULT_STATE_DIR),
    "registry": (_registry, registry.DEFAULT_STATE_DIR),
}


def parse_args(argv: Sequence[str] | None) -> Any:
    parser = ArgumentParser(prog="python -m services.infra",
                            description="Start, stop or inspect a local engine (no Docker).")
    parser.add_argument("engine", choices=sorted(ENGINES))
    parser.add_argument("action", choices=("start", "stop", "status", "run", "probe"))
    parser.add_argument("daemon", nargs="?",
                        help="run and probe only: the daemon (kafka: broker; hdfs: namenode, "
                             "datanode; spark: master, worker, history; registry: registry)")
    parser.add_argument("--port", type=int,
                        help="main port: Kafka broker, HDFS NameNode RPC, Spark master, "
                             "registry HTTP (default: a free port)")
    parser.add_argument("--state-dir", type=Path,
                        help="config, data, logs and pid files (default: under data/ or hdfs/)")
    parser.add_argument("--timeout", type=float, help="seconds to wait until ready")
    parser.add_argument("--event-log-dir", type=Path,
                        help="spark only: the history server's event folder "
                             "(default: the repo's spark-events/)")
    parser.add_argument("--external", metavar="HOST:PORT",
                        help="kafka run only: also serve clients outside the container "
                             "network, advertised as HOST:PORT (the port the host publishes)")
    args = parser.parse_args(argv)
    if (args.daemon is None) != (args.action not in ("run", "probe")):
        parser.error(f"{args.action} takes a daemon" if args.daemon is None
                     else f"{args.action} takes no daemon (only run and probe do)")
    if args.external is not None and (args.engine, args.action) != ("kafka", "run"):
        parser.error("--external applies to kafka run only")
    if args.external is not None and not re.fullmatch(r"[^:\s]+:\d{1,5}", args.external):
        parser.error(f"--external must be HOST:PORT, got {args.external!r}")
    if args.port is not None and not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    if args.timeout is not None and args.timeout <= 0:
        parser.error(f"--timeout must be > 0, got {args.timeout}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    factory, default_dir = ENGINES[args.engine]
    options: dict[str, Any] = {"port": args.port, "timeout": args.timeout}
    if args.event_log_dir is not None:
        if args.engine != "spark":
            raise UsageError("--event-log-dir applies to spark only")
        options["event_log_dir"] = args.event_log_dir
    if args.external is not None:
        options["external"] = args.external
    engine = factory(args.state_dir or default_dir, **options)
    if args.daemon is not None and args.daemon not in engine.daemons:
        raise UsageError(f"{args.engine} has no daemon {args.daemon!r}; "
                         f"it has {', '.join(engine.daemons)}")
    if args.action == "run":
        engine.run(args.daemon)
    if args.action == "probe":
        ready = engine.probe(args.daemon)
        print(f"{args.engine} {args.daemon}: {'ready' if ready else 'not ready'}",
              file=sys.stderr)
        return 0 if ready else 1
    if args.action == "start":
        status, already = engine.start()
        if already:
            print(f"{args.engine} is already running in {engine.state_dir} "
                  f"(pids {status.pids})", file=sys.stderr)
        print(json.dumps({**status.to_dict(), "already_running": already}))
        return 0
    if args.action == "stop":
        stopped = engine.stop()
        print(f"{args.engine}: stopped pids {stopped}" if stopped
              else f"{args.engine}: was not running", file=sys.stderr)
        return 0
    status = engine.status()
    print(json.dumps(status.to_dict()))
    return 0 if status.running else NOT_RUNNING

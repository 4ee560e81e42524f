"""The streaming job's own ceiling: how fast it drains a backlog already in the topic.

Starts a private Kafka broker, generates N card events and sends them all with the
producer (--client confluent --rate 0), then for each setting runs the streaming job from
the topic's start (STARTING_OFFSETS=earliest, a 1-second trigger) until its ledger has read
every message, and prints events/s over the wall time from the queries' start to the last
batch's end, over the micro-batches' own durations, and per CPU-second of the job's processes
(the JVM and Python, from the queries' start: what a shared machine's load does not change;
x2 is what two free cores would give if the work spread over both). Settings: the defaults;
the live view off; the RocksDB state store; STREAM_MAX_OFFSETS_PER_TRIGGER at N/5; two
shuffle partitions. With --baseline DIR the job of another checkout (say the commit before a
change) runs right after each setting too, so the two are compared under the same load.
Target (2-core machine): >= 50,000 events/s with the defaults.

    .venv/bin/python benchmarks/streaming_drain.py [--events 1000000] [--baseline DIR]
        [--settings defaults,rocksdb] [--bootstrap HOST:PORT --topic NAME]

--bootstrap/--topic drain a topic that already holds --events messages (no broker started).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from streaming import CARD, read_json, record_batch, spawn, wait_for  # noqa: E402

from services.infra import process  # noqa: E402
from services.infra.kafka import Kafka  # noqa: E402
from services.outputs import StreamOutputs  # noqa: E402

TARGET = 50_000
STARTED = "streaming events from"  # the job's log line once its queries run
JOB = "services/streaming/streaming_sales_aggregator.py"


def fill_topic(bootstrap: str, topic: str, events: int, work: Path) -> None:
    extract = work / "input"
    subprocess.run([sys.executable, str(REPO / "services/batch/generate_synthetic_data.py"),
                    "--config", str(CARD), "--output-dir", str(extract), "--output-name",
                    "cards", "--n", str(events), "--seed", "3", "--workers", "2"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, str(REPO / "services/event-generator/kafka_event_producer.py"),
                    "--input-dir", str(extract), "--config", str(CARD), "--bootstrap-servers",
                    bootstrap, "--topic", topic, "--rate", "0", "--client", "confluent",
                    "--log-level", "WARNING"], check=True, stdout=subprocess.DEVNULL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and everything it spawned (alive now)."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in family:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def drain(repo: Path, topic: tuple[str, str], events: int, name: str, env: dict[str, str],
          work: Path) -> dict[str, float]:
    """One run of `repo`'s job over the backlog: events/s by wall, by work, by CPU-second."""
    out, log = work / name, work / f"{name}.log"
    files = StreamOutputs(out / "stream")
    bootstrap, topic_name = topic
    job = spawn([sys.executable, str(repo / JOB)],
                {"SCHEMA_CONFIG_PATH": str(CARD), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                 "KAFKA_TOPIC": topic_name, "OUTPUT_PATH": str(out / "stream"),
                 "CHECKPOINT_DIR": str(out / "ckpt"), "STARTING_OFFSETS": "earliest",
                 "STREAM_TRIGGER_INTERVAL": "1 second", **env}, log)
    batches: dict[int, dict] = {}
    start: dict[str, float] = {}
    try:
        def read_all() -> bool:
            if not start and log.exists() and STARTED in log.read_text(errors="replace"):
                start.update(wall=time.time(), cpu=cpu_seconds(job.pid))
            status = read_json(files.status_file)
            record_batch(batches, status)
            return int(((status or {}).get("ledger") or {}).get("read") or 0) >= events

        wait_for(read_all, 3600, f"the job ({name}) to read {events:,} events")
        cpu = cpu_seconds(job.pid) - start["cpu"]
    finally:
        process.terminate(process.record_of(job), grace=30)
    busy = [b for b in batches.values() if b["input_rows"] > 0]
    last = max(busy, key=lambda b: b["batch_id"])
    end = time_of(last) + last["batch_duration_ms"] / 1000
    work_s = sum(b["batch_duration_ms"] for b in busy) / 1000
    return {"wall": events / (end - start["wall"]), "work": events / work_s,
            "cpu": events / cpu, "batches": len(busy)}


def time_of(batch: dict) -> float:
    return datetime.fromisoformat(batch["batch_time"].replace("Z", "+00:00")).timestamp()


def line(name: str, got: dict[str, float]) -> str:
    return (f"{name:<28} {got['wall']:>9,.0f} events/s wall, {got['work']:>9,.0f} over the "
            f"batches' work, {got['cpu']:>7,.0f} per CPU-second ({got['batches']:.0f} "
            "batches seen)")


def settings_for(events: int) -> dict[str, dict[str, str]]:
    return {
        "defaults": {},
        "live-view-off": {"STREAM_LIVE_VIEW": "false"},
        "rocksdb": {"STREAM_STATE_STORE": "rocksdb"},
        "maxOffsetsPerTrigger": {"STREAM_MAX_OFFSETS_PER_TRIGGER": str(events // 5)},
        "shuffle-partitions-2": {"SPARK_SHUFFLE_PARTITIONS": "2"},
    }


def run_all(args: argparse.Namespace, topic: tuple[str, str], work: Path) -> None:
    chosen = settings_for(args.events)
    names = args.settings.split(",") if args.settings else list(chosen)
    for name in names:
        for repo, label in ((REPO, ""), (args.baseline, "baseline ")):
            if repo is None:
                continue
            got = drain(Path(repo), topic, args.events, (label + name).replace(" ", "-"),
                        chosen[name], work)
            print(line(label + name, got), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=Path, help="another checkout, measured alongside")
    parser.add_argument("--settings", help=f"a comma list of {', '.join(settings_for(0))}")
    parser.add_argument("--bootstrap", help="a broker whose --topic holds the backlog")
    parser.add_argument("--topic", default="backlog")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.bootstrap:
            run_all(args, (args.bootstrap, args.topic), work)
            return
        kafka = Kafka(work / "kafka")
        status, _ = kafka.start()
        try:
            bootstrap = status.details.bootstrap_servers
            started = time.monotonic()
            fill_topic(bootstrap, args.topic, args.events, work)
            print(f"{args.events:,} card events in the topic ({time.monotonic() - started:.0f} "
                  f"s to generate and send); target {TARGET:,} events/s", flush=True)
            run_all(args, (bootstrap, args.topic), work)
        finally:
            kafka.stop()


if __name__ == "__main__":
    main()

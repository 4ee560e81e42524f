"""Streaming job throughput and freshness on this machine, with the default 30 s trigger.

Starts a private Kafka broker, then for each producer rate runs the streaming job (card
schema, live producer) for --duration seconds and reports whether the query kept up: the
rows it processed match the rows produced, every micro-batch finished inside the trigger
interval, and the lag did not grow. Then, with the producer at 1,000 events/s, it sends probe
events (a group value of their own) and times each until it is counted in the live view.
Then the faults round: a generated extract replayed at 5,000 events/s with every fault on
(late, too late, out of order, duplicates, poison messages) and the answer recorded; the
job must keep up as it does on a clean stream, its ledger must balance and account for every
message sent, and sdp-verify must find every closed window right.
Targets: keeps up with >= 5,000 events/s, with faults too; freshness under trigger
interval + 10 s.

    .venv/bin/python benchmarks/streaming.py [--rates 2000,5000,8000] [--duration 180]
        [--faults-rate 5000] [--probes 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kafka import KafkaProducer  # noqa: E402

from services.infra import process  # noqa: E402
from services.infra.kafka import Kafka  # noqa: E402
from services.outputs import StreamOutputs  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"
TRIGGER_SECONDS = 30.0


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return process.spawn(argv, log_file=log, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                   "SPARK_LOCAL_IP": "127.0.0.1", **env})


def start_job(work: Path, bootstrap: str, topic: str) -> tuple[subprocess.Popen, StreamOutputs]:
    out = work / "out" / "stream"
    job = spawn([sys.executable, str(REPO / "services/streaming/streaming_sales_aggregator.py")],
                {"SCHEMA_CONFIG_PATH": str(CARD), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                 "KAFKA_TOPIC": topic, "OUTPUT_PATH": str(out),
                 "CHECKPOINT_DIR": str(work / "ckpt"), "STARTING_OFFSETS": "earliest"},
                work / "job.log")
    return job, StreamOutputs(out)


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"gave up waiting for {what}")


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


FAULTS = json.dumps({"out_of_order": "2 minutes", "late": {"p": 0.05, "max": "10 minutes"},
                     "too_late": {"p": 0.01}, "duplicates": {"p": 0.03, "max": "2 minutes"},
                     "malformed": {"p": 0.01}})


def producer(bootstrap: str, topic: str, rate: float, duration: float,
             log: Path) -> subprocess.Popen:
    return spawn([sys.executable, str(REPO / "services/event-generator/kafka_event_producer.py"),
                  "--generate", "--config", str(CARD), "--bootstrap-servers", bootstrap,
                  "--topic", topic, "--rate", str(rate), "--duration", str(duration)], {}, log)


def replay_with_faults(bootstrap: str, topic: str, rate: float, duration: float,
                       work: Path) -> subprocess.Popen:
    """The card extract of rate x duration rows, replayed with every fault on."""
    extract = work / "input"
    subprocess.run([sys.executable, str(REPO / "services/batch/generate_synthetic_data.py"),
                    "--config", str(CARD), "--output-dir", str(extract), "--output-name",
                    "cards", "--n", str(int(rate * duration)), "--seed", "3"],
                   check=True, stdout=subprocess.DEVNULL)
    return spawn([sys.executable, str(REPO / "services/event-generator/kafka_event_producer.py"),
                  "--input-dir", str(extract), "--config", str(CARD), "--bootstrap-servers",
                  bootstrap, "--topic", topic, "--rate", str(rate), "--seed", "3",
                  "--faults", FAULTS, "--expect", str(work / "expected")], {},
                 work / "producer.log")


def verdict(work: Path, files: StreamOutputs, sent: int) -> str:
    """The job's ledger against what was sent, and sdp-verify's last line."""
    ledger = (read_json(files.status_file) or {}).get("ledger") or {}
    verify = subprocess.run([sys.executable, "-m", "services.streamcheck", "--expected",
                             str(work / "expected"), str(files.parquet_dir)],
                            capture_output=True, text=True, cwd=REPO)
    lines = (verify.stdout or verify.stderr).strip().splitlines()
    return (f"; ledger read {ledger.get('read', 0):,} of {sent:,} sent, counted "
            f"{ledger.get('counted', 0):,}, duplicates {ledger.get('duplicates', 0):,}, late "
            f"{ledger.get('late', 0):,}, quarantined {ledger.get('quarantined', 0):,}, "
            f"balanced {ledger.get('balanced')}; sdp-verify: {lines[-1] if lines else '?'}")


def record_batch(batches: dict[int, dict], status: dict | None) -> None:
    """The status file holds the job's state before its first batch (no batch_id yet)."""
    if status and status.get("batch_id") is not None:
        batches[status["batch_id"]] = status


def throughput(bootstrap: str, rate: float, duration: float, faults: bool = False) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        work, topic = Path(tmp), f"bench-{int(rate)}-{int(time.time())}"
        job, files = start_job(work, bootstrap, topic)
        try:
            wait_for(lambda: "streaming events from" in (work / "job.log").read_text(), 180,
                     "the streaming job to start")
            sender = (replay_with_faults(bootstrap, topic, rate, duration, work) if faults
                      else producer(bootstrap, topic, rate, duration, work / "producer.log"))
            batches: dict[int, dict] = {}
            while sender.poll() is None:
                record_batch(batches, read_json(files.status_file))
                time.sleep(1)
            sent = sum(int(line.split("delivered=")[1].split()[0])
                       for line in (work / "producer.log").read_text().splitlines()
                       if "delivered=" in line)
            deadline = time.monotonic() + 3 * TRIGGER_SECONDS
            while time.monotonic() < deadline:
                record_batch(batches, read_json(files.status_file))
                if sum(b["input_rows"] for b in batches.values()) >= sent:
                    break
                time.sleep(1)
        finally:
            process.terminate(process.record_of(job), grace=30)
        checked = verdict(work, files, sent) if faults else ""
    busy = [b for b in batches.values() if b["input_rows"] > 0]
    processed = sum(b["input_rows"] for b in batches.values())
    longest = max((b["batch_duration_ms"] for b in busy), default=0) / 1000
    lags = [b["lag_messages"] or 0 for b in busy]
    kept_up = processed >= sent and longest < TRIGGER_SECONDS and (not lags or
                                                                   lags[-1] <= rate)
    return (f"{'faults, ' if faults else ''}rate {rate:,.0f}/s for {duration:.0f} s: produced "
            f"{sent:,}, processed {processed:,} in {len(busy)} batches, longest batch "
            f"{longest:.1f} s (trigger {TRIGGER_SECONDS:.0f} s), max lag "
            f"{max(lags, default=0):,} -> "
            f"{'kept up' if kept_up else 'fell behind'}{checked}")


def freshness(bootstrap: str, probes: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        work, topic = Path(tmp), f"fresh-{int(time.time())}"
        job, files = start_job(work, bootstrap, topic)
        sender = None
        delays: list[float] = []
        phase = random.Random(7)
        try:
            wait_for(lambda: "streaming events from" in (work / "job.log").read_text(), 180,
                     "the streaming job to start")
            sender = producer(bootstrap, topic, 1000, 3600, work / "producer.log")
            live = wait_for(lambda: read_json(files.live_file), 120, "the first live view")
            group, value = live["group_field"], live["value_field"]  # the job's, this schema's
            probe_sender = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
            for n in range(probes):
                name = f"probe-{n}"
                now = datetime.now(timezone.utc)
                event = {"event_time": now.strftime("%Y-%m-%dT%H:%M:%S"), group: name,
                         value: 1.0}
                sent_at = time.monotonic()
                probe_sender.send(topic, json.dumps(event).encode())
                probe_sender.flush()

                def seen(name=name) -> bool:
                    live = read_json(files.live_file) or {}
                    return any(w.get(group) == name for w in live.get("windows", []))

                wait_for(seen, 3 * TRIGGER_SECONDS + 60, f"probe {n} in the live view")
                delays.append(time.monotonic() - sent_at)
                time.sleep(phase.uniform(0, TRIGGER_SECONDS))  # spread over the cycle
            probe_sender.close()
        finally:
            if sender is not None:
                process.terminate(process.record_of(sender), grace=10)
            process.terminate(process.record_of(job), grace=30)
    return (f"freshness at 1,000 events/s, {probes} probes: median {statistics.median(delays):.1f}"
            f" s, max {max(delays):.1f} s (target < {TRIGGER_SECONDS + 10:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="2000,5000,8000")
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--faults-rate", type=float, default=5000.0,
                        help="the faults round's rate (0 skips it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kafka = Kafka(Path(tmp) / "kafka")
        status, _ = kafka.start()
        try:
            bootstrap = status.details.bootstrap_servers
            for rate in (float(r) for r in args.rates.split(",") if r):
                print(throughput(bootstrap, rate, args.duration), flush=True)
            if args.faults_rate > 0:
                print(throughput(bootstrap, args.faults_rate, args.duration, faults=True),
                      flush=True)
            print(freshness(bootstrap, args.probes), flush=True)
        finally:
            kafka.stop()


if __name__ == "__main__":
    main()

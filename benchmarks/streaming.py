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

--format avro (or json-schema) also starts a schema registry (services.infra): the producer
registers the card schema and sends Confluent's wire format, the job decodes it by schema id
(the freshness probes are JSON: that round runs with --format json only). Each rate's line
also gives the rate the job sustains (events counted per second of batch time: what it
could take with no idle time between batches), the lag at the end and the batch durations'
p50/p90.

    .venv/bin/python benchmarks/streaming.py [--rates 2000,5000,8000] [--duration 180]
        [--faults-rate 5000] [--probes 10] [--format json|avro|json-schema] [--trigger 30]
    .venv/bin/python benchmarks/streaming.py --format avro --rates 5000 --duration 90 \
        --trigger 10 --faults-rate 0
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
from services.infra.registry import Registry  # noqa: E402
from services.outputs import StreamOutputs  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"
TRIGGER_SECONDS = 30.0  # the job's default (--trigger)
FORMATS = ("json", "avro", "json-schema")


class Wire:
    """How events travel: the format, the registry's URL (None for JSON) and the trigger."""

    event_format = "json"
    registry_url: str | None = None
    trigger = TRIGGER_SECONDS

    @classmethod
    def job_env(cls) -> dict[str, str]:
        env = {"EVENT_FORMAT": cls.event_format,
               "STREAM_TRIGGER_INTERVAL": f"{cls.trigger:g} seconds"}
        return {**env, "SCHEMA_REGISTRY_URL": cls.registry_url} if cls.registry_url else env

    @classmethod
    def producer_args(cls) -> list[str]:
        registry = ["--registry-url", cls.registry_url] if cls.registry_url else []
        return ["--format", cls.event_format, *registry]


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return process.spawn(argv, log_file=log, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                   "SPARK_LOCAL_IP": "127.0.0.1", **env})


def start_job(work: Path, bootstrap: str, topic: str) -> tuple[subprocess.Popen, StreamOutputs]:
    """The job on `topic`, created first (one partition, as the producer would): a job that
    starts before the topic exists can fail on its first offsets (the registry delays the
    producer's first send)."""
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    out = work / "out" / "stream"
    job = spawn([sys.executable, str(REPO / "services/streaming/streaming_sales_aggregator.py")],
                {"SCHEMA_CONFIG_PATH": str(CARD), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                 "KAFKA_TOPIC": topic, "OUTPUT_PATH": str(out),
                 "CHECKPOINT_DIR": str(work / "ckpt"), "STARTING_OFFSETS": "earliest",
                 **Wire.job_env()},
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
                  "--topic", topic, "--rate", str(rate), "--duration", str(duration),
                  *Wire.producer_args()], {}, log)


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
                  "--faults", FAULTS, "--expect", str(work / "expected"),
                  *Wire.producer_args()], {},
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
            deadline = time.monotonic() + max(3 * Wire.trigger, 120)  # a slow first batch
            while time.monotonic() < deadline:
                record_batch(batches, read_json(files.status_file))
                if sum(b["input_rows"] for b in batches.values()) >= sent:
                    break
                time.sleep(1)
        finally:
            process.terminate(process.record_of(job), grace=30)
        checked = verdict(work, files, sent) if faults else ""
        if not batches:  # the job never finished a batch: its last words
            checked += "; job log: " + " | ".join(
                (work / "job.log").read_text().strip().splitlines()[-5:])
    return report(batches, sent, rate, duration, faults) + checked


def report(batches: dict[int, dict], sent: int, rate: float, duration: float,
           faults: bool) -> str:
    """Kept up: everything sent was processed, every batch inside the trigger, the lag at the
    end under a second's worth. Sustained: rows per second of batch time, the first busy
    batch (Python workers and JIT warming up) left out when there are others."""
    busy = [b for _, b in sorted(batches.items()) if b["input_rows"] > 0]
    processed = sum(b["input_rows"] for b in batches.values())
    seconds = sorted(b["batch_duration_ms"] / 1000 for b in busy)
    lags = [b["lag_messages"] or 0 for b in busy]
    end_lag = (batches[max(batches)]["lag_messages"] or 0) if batches else 0
    kept_up = processed >= sent and max(seconds, default=0) < Wire.trigger and end_lag <= rate
    warm = busy[1:] or busy
    sustained = (sum(b["input_rows"] for b in warm) /
                 sum(b["batch_duration_ms"] / 1000 for b in warm)) if warm else 0.0
    p50, p90 = (statistics.quantiles(seconds, n=10, method="inclusive")[i] for i in (4, 8)) \
        if len(seconds) > 1 else (sum(seconds),) * 2
    return (f"{'faults, ' if faults else ''}{Wire.event_format}, rate {rate:,.0f}/s for "
            f"{duration:.0f} s: produced {sent:,}, processed {processed:,} in {len(busy)} "
            f"batches (the first {busy[0]['batch_duration_ms'] / 1000 if busy else 0:.1f} s); "
            f"sustained {sustained:,.0f} events/s of batch time; batch p50 {p50:.1f} "
            f"s, p90 {p90:.1f} s, longest {max(seconds, default=0):.1f} s (trigger "
            f"{Wire.trigger:g} s); lag max {max(lags, default=0):,}, at the end {end_lag:,} -> "
            f"{'kept up' if kept_up else 'fell behind'}")


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

                wait_for(seen, 3 * Wire.trigger + 60, f"probe {n} in the live view")
                delays.append(time.monotonic() - sent_at)
                time.sleep(phase.uniform(0, Wire.trigger))  # spread over the cycle
            probe_sender.close()
        finally:
            if sender is not None:
                process.terminate(process.record_of(sender), grace=10)
            process.terminate(process.record_of(job), grace=30)
    return (f"freshness at 1,000 events/s, {probes} probes: median {statistics.median(delays):.1f}"
            f" s, max {max(delays):.1f} s (target < {Wire.trigger + 10:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="2000,5000,8000")
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--faults-rate", type=float, default=5000.0,
                        help="the faults round's rate (0 skips it)")
    parser.add_argument("--format", choices=FORMATS, default="json",
                        help="event format; avro and json-schema start a schema registry")
    parser.add_argument("--trigger", type=float, default=TRIGGER_SECONDS,
                        help="the job's trigger interval in seconds")
    args = parser.parse_args()
    Wire.event_format, Wire.trigger = args.format, args.trigger
    with tempfile.TemporaryDirectory() as tmp:
        kafka, registry = Kafka(Path(tmp) / "kafka"), Registry(Path(tmp) / "registry")
        status, _ = kafka.start()
        try:
            if args.format != "json":
                Wire.registry_url = registry.start()[0].details.url
            bootstrap = status.details.bootstrap_servers
            for rate in (float(r) for r in args.rates.split(",") if r):
                print(throughput(bootstrap, rate, args.duration), flush=True)
            if args.faults_rate > 0:
                print(throughput(bootstrap, args.faults_rate, args.duration, faults=True),
                      flush=True)
            if args.probes > 0 and args.format == "json":
                print(freshness(bootstrap, args.probes), flush=True)
        finally:
            registry.stop()
            kafka.stop()


if __name__ == "__main__":
    main()

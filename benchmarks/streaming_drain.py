"""The streaming job's own ceiling: how fast it drains a backlog already in the topic.

Starts a private Kafka broker, generates N card events and sends them all with the
producer (--client confluent --rate 0), then for each setting runs the streaming job from
the topic's start (STARTING_OFFSETS=earliest, a 1-second trigger) until its ledger has read
every message, and prints events/s over the micro-batches' own durations (the work) and over
the wall time from the first batch's start to the last one's end. Settings: the defaults;
STREAM_MAX_OFFSETS_PER_TRIGGER at N/5; the live view off (it reads the topic a second time);
the RocksDB state store. Target (2-core machine): >= 50,000 events/s with the defaults.

    .venv/bin/python benchmarks/streaming_drain.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from streaming import CARD, read_json, record_batch, spawn, wait_for  # noqa: E402

from services.infra import process  # noqa: E402
from services.infra.kafka import Kafka  # noqa: E402
from services.outputs import StreamOutputs  # noqa: E402

TARGET = 50_000


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


def drain(bootstrap: str, topic: str, events: int, name: str, env: dict[str, str],
          work: Path) -> str:
    out = work / name
    files = StreamOutputs(out / "stream")
    job = spawn([sys.executable, str(REPO / "services/streaming/streaming_sales_aggregator.py")],
                {"SCHEMA_CONFIG_PATH": str(CARD), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                 "KAFKA_TOPIC": topic, "OUTPUT_PATH": str(out / "stream"),
                 "CHECKPOINT_DIR": str(out / "ckpt"), "STARTING_OFFSETS": "earliest",
                 "STREAM_TRIGGER_INTERVAL": "1 second", **env}, work / f"{name}.log")
    batches: dict[int, dict] = {}
    try:
        def read_all() -> bool:
            status = read_json(files.status_file)
            record_batch(batches, status)
            return int(((status or {}).get("ledger") or {}).get("read") or 0) >= events

        wait_for(read_all, 1800, f"the job ({name}) to read {events:,} events")
    finally:
        process.terminate(process.record_of(job), grace=30)
    busy = [b for b in batches.values() if b["input_rows"] > 0]
    work_s = sum(b["batch_duration_ms"] for b in busy) / 1000
    first = min(busy, key=lambda b: b["batch_id"])
    last = max(busy, key=lambda b: b["batch_id"])
    wall_s = (time_of(last) + last["batch_duration_ms"] / 1000) - time_of(first)
    return (f"{name:<22} {events / work_s:>9,.0f} events/s over the batches' work "
            f"({work_s:,.1f} s, {len(busy)} batches seen, largest "
            f"{max(b['input_rows'] for b in busy):,} rows); {events / wall_s:,.0f} events/s "
            f"first batch start to last end")


def time_of(batch: dict) -> float:
    from datetime import datetime

    return datetime.fromisoformat(batch["batch_time"].replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kafka = Kafka(work / "kafka")
        status, _ = kafka.start()
        try:
            bootstrap = status.details.bootstrap_servers
            started = time.monotonic()
            fill_topic(bootstrap, "backlog", args.events, work)
            print(f"{args.events:,} card events in the topic ({time.monotonic() - started:.0f} "
                  "s to generate and send)", flush=True)
            settings = {
                "defaults": {},
                "maxOffsetsPerTrigger": {"STREAM_MAX_OFFSETS_PER_TRIGGER":
                                         str(args.events // 5)},
                "no live view": {"STREAM_LIVE_VIEW": "false"},
                "rocksdb": {"STREAM_STATE_STORE": "rocksdb"},
            }
            for name, env in settings.items():
                print(drain(bootstrap, "backlog", args.events, name.replace(" ", "-"), env,
                            work), flush=True)
        finally:
            kafka.stop()


if __name__ == "__main__":
    main()

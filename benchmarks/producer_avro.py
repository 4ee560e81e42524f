"""Producer throughput by event format: Avro and JSON Schema against JSON, same run.

Starts its own broker and schema registry (services.infra, temporary state folder),
generates N card events, then in each round runs the producer script replaying the extract
with --rate 0, once per client (kafka-python, confluent) and format (json, avro,
json-schema), as a user runs it; events/s as it reports them (first send to last
confirmation). Rounds alternate formats so that a noisy machine hurts all alike; the ratios
of the medians are the figures. Target: Avro at >= 90% of JSON with the same client. Every
topic's end offsets are checked (N delivered).

    .venv/bin/python benchmarks/producer_avro.py [--events 200000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.producer import CARD, delivered, producer_run  # noqa: E402
from services.generator import write_dataset  # noqa: E402
from services.infra.kafka import Kafka  # noqa: E402
from services.infra.registry import Registry  # noqa: E402
from services.schema import load_schema  # noqa: E402

TARGET = 0.90
CLIENTS = ("kafka-python", "confluent")
FORMATS = ("json", "avro", "json-schema")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-avro-") as tmp:
        work = Path(tmp)
        broker, registry = Kafka(work / "kafka"), Registry(work / "registry")
        bootstrap = broker.start()[0].details.bootstrap_servers
        try:
            url = registry.start()[0].details.url
            folder = work / "input"
            dataset = load_schema(CARD).with_overrides(entity_count=args.events)
            write_dataset(dataset, folder / "card_transactions.csv", 42,
                          workers=os.cpu_count() or 1)
            print(f"broker {bootstrap}, registry {url}; {args.events:,} card events", flush=True)
            producer_run(bootstrap, "warm-up", folder, "--max-events", "50000")
            runs: dict[tuple[str, str], list[float]] = {}
            for round_ in range(1, args.rounds + 1):
                order = FORMATS if round_ % 2 else FORMATS[::-1]
                for client in CLIENTS:
                    for fmt in order:
                        topic = f"{client}-{fmt}-{round_}"
                        rate, whole, rss, _ = producer_run(
                            bootstrap, topic, folder, "--client", client, "--format", fmt,
                            "--registry-url", url)
                        check = delivered(bootstrap, topic)
                        if check != args.events:
                            raise SystemExit(f"{topic}: {check:,} of {args.events:,} delivered")
                        runs.setdefault((client, fmt), []).append(rate)
                        print(f"round {round_}: {client:<13}{fmt:<12}{rate:>10,.0f}/s "
                              f"({whole:,.0f}/s with start-up; peak RSS {rss:,.0f} MB)",
                              flush=True)
            median = {key: statistics.median(rates) for key, rates in runs.items()}
            for client in CLIENTS:
                base = median[(client, "json")]
                for fmt in FORMATS[1:]:
                    share = median[(client, fmt)] / base
                    met = "met" if share >= TARGET else "NOT met"
                    verdict = f" (target >= {TARGET:.0%}: {met})" if fmt == "avro" else ""
                    print(f"median: {client} {fmt} {median[(client, fmt)]:,.0f}/s = {share:.0%} "
                          f"of json {base:,.0f}/s{verdict}")
        finally:
            registry.stop()
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

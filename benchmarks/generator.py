"""Generator throughput and memory, against per-row references on the same schema.

Prints rows/s and peak RSS of the engine (one process, uncompressed CSV) at several sizes,
and the rows/s of a naive per-row Python generator and a per-row Faker generator of the card
schema. Targets (2-core machine): >= 1,000,000 rows/s, >= 12x naive, >= 40x Faker,
peak RSS < 500 MB at any row count.

    .venv/bin/python benchmarks/generator.py [--rows 2000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.schema import load_schema  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"
SCRIPT = REPO / "services/batch/generate_synthetic_data.py"


def engine_run(rows: int, out: Path) -> tuple[float, float, float]:
    """Rows/s of the run as the generator times it (schema load to renamed file), rows/s of
    the whole process including interpreter start and imports, and peak RSS in MB."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--config", str(CARD), "--out",
                             str(out), "--n", str(rows), "--workers", "1", "--no-progress"],
                            stdout=subprocess.PIPE, text=True)
    summary = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"generator failed with status {status}")
    run_seconds = float(re.search(r" in ([0-9.]+) s ", summary).group(1))
    out.unlink()
    return rows / run_seconds, rows / wall, usage.ru_maxrss / 1024


def naive_rows(rows: int, out: Path) -> float:
    """The same schema row by row with the standard library (the earlier demo's approach)."""
    ds = load_schema(CARD)
    rng = random.Random(1)
    start, end = ds.time_window.start, ds.time_window.end
    span = int((end - start).total_seconds())
    fields = {f.name: f for f in ds.fields}
    profile = fields["event_time"].profile
    hour_w, day_w = profile.hour_of_day, profile.day_of_week

    def weighted(choices):
        return rng.choices([c.value for c in choices], [c.weight for c in choices])[0]

    tables = dict(fields["merchant_cat"].conditional_table)
    started = time.perf_counter()
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ds.names)
        for _ in range(rows):
            while True:  # rejection sampling on the seasonal weights
                moment = start + timedelta(seconds=rng.randrange(span + 1))
                weight = hour_w[moment.hour] * day_w[moment.weekday()]
                if rng.random() * 2.8 < weight:
                    break
            city = weighted(fields["city"].choices)
            channel = weighted(fields["channel"].choices)
            merchant = weighted(tables.get(channel, tables.get("_default")))
            card = f"CARD-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
            writer.writerow([
                str(uuid.UUID(int=rng.getrandbits(128), version=4)), moment.isoformat(), city,
                channel, merchant, card, round(rng.lognormvariate(3.6, 0.9), 2),
                rng.random() < 0.08, rng.random() < 0.72, rng.random() < 0.46,
                rng.random() < 0.012, "|".join([city, merchant, channel, card]),
            ])
    return rows / (time.perf_counter() - started)


def faker_rows(rows: int, out: Path) -> float:
    """The same columns with Faker calls per row."""
    from faker import Faker

    fake = Faker()
    fake.seed_instance(1)
    ds = load_schema(CARD)
    fields = {f.name: f for f in ds.fields}
    cities = OrderedDict((c.value, c.weight) for c in fields["city"].choices)
    channels = OrderedDict((c.value, c.weight) for c in fields["channel"].choices)
    tables = {key: OrderedDict((c.value, c.weight) for c in choices)
              for key, choices in fields["merchant_cat"].conditional_table}
    start, end = datetime(2025, 1, 1), datetime(2025, 1, 7, 23, 59, 59)
    started = time.perf_counter()
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ds.names)
        for _ in range(rows):
            city = fake.random_element(cities)
            channel = fake.random_element(channels)
            merchant = fake.random_element(tables[channel])
            card = fake.numerify("CARD-####-####")
            writer.writerow([
                fake.uuid4(), fake.date_time_between(start, end).isoformat(), city, channel,
                merchant, card, round(fake.pyfloat(min_value=1, max_value=500), 2),
                fake.boolean(8), fake.boolean(72), fake.boolean(46), fake.boolean(1),
                "|".join([city, merchant, channel, card]),
            ])
    return rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.csv"
        runs = [engine_run(args.rows, out) for _ in range(args.runs)]
        engine = statistics.median(r[0] for r in runs)
        rss = [r[2] for r in runs]
        print(f"engine, {args.rows:,} rows CSV, 1 process: median {engine:,.0f} rows/s "
              f"(runs: {', '.join(f'{r[0]:,.0f}' for r in runs)}); with interpreter start "
              f"and imports: {statistics.median(r[1] for r in runs):,.0f} rows/s; "
              f"peak RSS {max(rss):.0f} MB")
        for rows in (200_000, 6_000_000):
            peak = engine_run(rows, out)[2]
            rss.append(peak)
            print(f"engine peak RSS at {rows:,} rows: {peak:.0f} MB")
        naive = naive_rows(100_000, out)
        print(f"naive per-row Python, 100,000 rows: {naive:,.0f} rows/s "
              f"-> engine is {engine / naive:.1f}x (target >= 12x)")
        faker = faker_rows(20_000, out)
        print(f"per-row Faker, 20,000 rows: {faker:,.0f} rows/s "
              f"-> engine is {engine / faker:.1f}x (target >= 40x)")
    verdict = engine >= 1_000_000 and engine / naive >= 12 and engine / faker >= 40
    print("targets met" if verdict and max(rss) < 500 else "targets NOT met")


if __name__ == "__main__":
    main()

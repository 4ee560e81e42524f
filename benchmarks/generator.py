"""Generator throughput and memory, against per-row references on the same schema.

Prints rows/s and peak RSS of the engine (one process, uncompressed CSV) at several sizes,
and the rows/s of a naive per-row Python generator and a per-row Faker generator of the card
schema as it was before entities (benchmarks/schemas/card_independent.json, rows drawn on
their own). Targets (2-core machine): >= 1,000,000 rows/s, >= 12x naive, >= 40x Faker,
peak RSS < 500 MB at any row count.

Entities: the shipped card schema (a cards entity, a Zipf ref, three lookups, a city
conditional on the home city, a comparison) at >= 80% of the rows/s of the schema before
entities; and a 10,000,000-row cards entity (2,000,000 payments, Zipf) within a peak RSS of
1,500 MB.

Dependencies: the card schema with a 5-field correlations block (a category of numbers
among them) and a number per channel, per city within one channel (a nested table)
(benchmarks/schemas/card_dependent.json) at >= 70% of the rows/s of the same schema without
them (no block, the number drawn from one distribution).

Timeline: the card schema with a scenario timeline (a trend, a burst, an outage, two drifts,
labelled anomalies: benchmarks/schemas/card_timeline.json) at >= 80% of the rows/s of the
shipped card schema.

    .venv/bin/python benchmarks/generator.py [--rows 2000000] [--runs 3] [--entities-only]
                                             [--dependencies-only] [--timeline-only]
"""

from __future__ import annotations

import argparse
import csv
import json
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

from services.generator import write_dataset  # noqa: E402
from services.schema import load_schema  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"
INDEPENDENT = REPO / "benchmarks/schemas/card_independent.json"  # the card schema before entities
DEPENDENT = REPO / "benchmarks/schemas/card_dependent.json"  # with a block and a per-level tip
TIMELINE = REPO / "benchmarks/schemas/card_timeline.json"  # the card schema with a timeline
BIG_ENTITY_ROWS, BIG_ENTITY_BUDGET_MB = 10_000_000, 1500
SCRIPT = REPO / "services/batch/generate_synthetic_data.py"


def engine_run(rows: int, out: Path, schema: Path = INDEPENDENT) -> tuple[float, float, float]:
    """Rows/s of the run as the generator times it (schema load to renamed file, entity
    tables included), rows/s of the whole process including interpreter start and imports,
    and peak RSS in MB."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--config", str(schema), "--out",
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
    ds = load_schema(INDEPENDENT)
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
    ds = load_schema(INDEPENDENT)
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


def alternate_rates(schemas: tuple[Path, ...], rows: int, runs: int, out: Path):
    """Each schema run `runs` times, alternately, warm in this process (start-up costs do
    not blur the engine's); returns rate(schema, which): the median rows/s by wall time
    (which 0) or per CPU second (which 1)."""
    timings: dict[Path, list[tuple[float, float]]] = {schema: [] for schema in schemas}
    for _ in range(runs):
        for schema, runs_of in timings.items():
            dataset = load_schema(schema).with_overrides(entity_count=rows)
            wall, cpu = time.perf_counter(), time.process_time()
            write_dataset(dataset, out, seed=42)
            runs_of.append((time.perf_counter() - wall, time.process_time() - cpu))

    def rate(schema: Path, which: int) -> float:
        return rows / statistics.median(t[which] for t in timings[schema])

    return rate


def entity_figures(rows: int, runs: int, tmp: Path) -> bool:
    """Rows/s of the card schema with entities against the one before, run alternately in
    this process (warm, so start-up costs do not blur the engine's); the verdict reads CPU
    seconds, as wall time on a shared 2-core machine swings with the neighbours' load. Then
    the peak RSS of a 10M-row entity. True when both targets are met."""
    out = tmp / "bench.csv"
    rate = alternate_rates((INDEPENDENT, CARD), rows, runs, out)
    wall_ratio, cpu_ratio = (rate(CARD, i) / rate(INDEPENDENT, i) for i in (0, 1))
    print(f"card schema with entities, {rows:,} rows, {runs} alternate runs: "
          f"{rate(CARD, 0):,.0f} rows/s ({rate(CARD, 1):,.0f} per CPU second) vs "
          f"{rate(INDEPENDENT, 0):,.0f} ({rate(INDEPENDENT, 1):,.0f}) before entities = "
          f"{cpu_ratio:.0%} by CPU time, {wall_ratio:.0%} by wall time (target >= 80%)")
    raw = json.loads(CARD.read_text())
    raw["entities"]["cards"]["count"] = BIG_ENTITY_ROWS
    big = tmp / "big_cards.json"
    big.write_text(json.dumps(raw))
    payments = 2_000_000
    speed, _, peak = engine_run(payments, out, big)
    print(f"a {BIG_ENTITY_ROWS:,}-row cards entity with {payments:,} payments: "
          f"{payments / speed:.1f} s in all, peak RSS {peak:,.0f} MB "
          f"(budget {BIG_ENTITY_BUDGET_MB:,} MB)")
    return cpu_ratio >= 0.8 and peak <= BIG_ENTITY_BUDGET_MB


def without_dependencies(raw: dict) -> dict:
    """The dependent card schema without its block, and each per-level number drawn from its
    first entry alone (the first of a nested table's): the same columns, drawn
    independently."""
    raw = json.loads(json.dumps(raw))
    raw["schema"].pop("correlations")
    fields = raw["schema"]["fields"]
    for index, field in enumerate(fields):
        if field.get("type") in ("int", "float") and "conditional_table" in field:
            first = next(iter(field["conditional_table"].values()))
            while "conditional_table" in first:
                first = next(iter(first["conditional_table"].values()))
            rest = {k: v for k, v in field.items()
                    if k not in ("conditional_on", "conditional_table")}
            fields[index] = {**rest, **first}
    return raw


def dependency_figures(rows: int, runs: int, tmp: Path) -> bool:
    """Rows/s of the card schema with dependencies against the same schema without them,
    alternate warm runs in this process; the verdict reads CPU seconds (see
    entity_figures). True when the target is met."""
    out = tmp / "bench.csv"
    raw = json.loads(DEPENDENT.read_text())
    plain = tmp / "card_without_dependencies.json"
    plain.write_text(json.dumps(without_dependencies(raw)))
    rate = alternate_rates((plain, DEPENDENT), rows, runs, out)
    wall_ratio, cpu_ratio = (rate(DEPENDENT, i) / rate(plain, i) for i in (0, 1))
    print(f"card schema with a 5-field correlations block and a nested per-level number, {rows:,} "
          f"rows, {runs} alternate runs: {rate(DEPENDENT, 0):,.0f} rows/s "
          f"({rate(DEPENDENT, 1):,.0f} per CPU second) vs {rate(plain, 0):,.0f} "
          f"({rate(plain, 1):,.0f}) without them = {cpu_ratio:.0%} by CPU time, "
          f"{wall_ratio:.0%} by wall time (target >= 70%)")
    return cpu_ratio >= 0.7


def timeline_figures(rows: int, runs: int, tmp: Path) -> bool:
    """Rows/s of the card schema with a timeline (trend, burst, outage, two drifts, labelled
    anomalies: benchmarks/schemas/card_timeline.json) against the shipped card schema,
    alternate warm runs; the verdict reads CPU seconds. True when the target is met."""
    rate = alternate_rates((CARD, TIMELINE), rows, runs, tmp / "bench.csv")
    wall_ratio, cpu_ratio = (rate(TIMELINE, i) / rate(CARD, i) for i in (0, 1))
    print(f"card schema with a timeline, {rows:,} rows, {runs} alternate runs: "
          f"{rate(TIMELINE, 0):,.0f} rows/s ({rate(TIMELINE, 1):,.0f} per CPU second) vs "
          f"{rate(CARD, 0):,.0f} ({rate(CARD, 1):,.0f}) without = {cpu_ratio:.0%} by CPU "
          f"time, {wall_ratio:.0%} by wall time (target >= 80%)")
    return cpu_ratio >= 0.8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--entities-only", action="store_true",
                        help="only the figures of the card schema's entities")
    parser.add_argument("--dependencies-only", action="store_true",
                        help="only the figures of a correlations block and a per-level number")
    parser.add_argument("--timeline-only", action="store_true",
                        help="only the figures of the card schema with a timeline")
    args = parser.parse_args()
    if args.timeline_only:
        with tempfile.TemporaryDirectory() as tmp:
            met = timeline_figures(args.rows, args.runs, Path(tmp))
        print("timeline target met" if met else "timeline target NOT met")
        return
    if args.dependencies_only:
        with tempfile.TemporaryDirectory() as tmp:
            met = dependency_figures(args.rows, args.runs, Path(tmp))
        print("dependency target met" if met else "dependency target NOT met")
        return
    if args.entities_only:
        with tempfile.TemporaryDirectory() as tmp:
            met = entity_figures(args.rows, args.runs, Path(tmp))
        print("entity targets met" if met else "entity targets NOT met")
        return
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
        entities_met = entity_figures(args.rows, args.runs, Path(tmp))
        dependencies_met = dependency_figures(args.rows, args.runs, Path(tmp))
        timeline_met = timeline_figures(args.rows, args.runs, Path(tmp))
    verdict = engine >= 1_000_000 and engine / naive >= 12 and engine / faker >= 40
    met = (verdict and max(rss) < 500 and entities_met and dependencies_met
           and timeline_met)
    print("targets met" if met else "targets NOT met")


if __name__ == "__main__":
    main()

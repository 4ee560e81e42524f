"""Lifecycle rows/s against flat rows/s, and peak memory as the episode count grows.

Runs the generator command (one process, uncompressed CSV, `--workers 1` unless told) on
the shipped clickstream and retail order lifecycle schemas, and on the card schema (flat
rows) in the same run, and prints each run's rows/s as the generator times it and its peak
RSS. Target (2-core machine): lifecycle rows at >= 50% of the card schema's rows/s. The
bound on memory: besides the blocks in flight, the rows carried across a block boundary,
at most the rows of the episodes started within one horizon (max_steps x max_delay) before
it; peak RSS stays flat as N grows.

    .venv/bin/python benchmarks/lifecycle.py [--episodes 100000,400000,1600000] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "services/batch/generate_synthetic_data.py"
SCHEMAS = REPO / "services/batch/schemas"
TARGET = 0.5


def run(schema: Path, n: int, out: Path, workers: int) -> tuple[int, float, float]:
    """(rows written, rows/s as the generator times it, peak RSS in MB) of one run."""
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--config", str(schema), "--out",
                             str(out), "--n", str(n), "--workers", str(workers),
                             "--no-progress"], stdout=subprocess.PIPE, text=True)
    summary = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"generator failed with status {status}")
    match = re.search(r"wrote ([0-9,]+) rows .* in ([0-9.]+) s ", summary)
    rows, seconds = int(match.group(1).replace(",", "")), float(match.group(2))
    out.unlink()
    return rows, rows / seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", default="100000,400000,1600000")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.episodes.split(",")]
    worst = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.csv"
        for name in ("clickstream", "retail_order_lifecycle"):
            for n in sizes:
                rows, rate, rss = run(SCHEMAS / f"{name}.json", n, out, args.workers)
                flat_rows, flat, flat_rss = run(SCHEMAS / "card_transactions.json", rows, out,
                                                args.workers)
                worst = min(worst, rate / flat)
                print(f"{name:24} {n:>10,} episodes {rows:>11,} rows {rate:>11,.0f} rows/s "
                      f"peak {rss:>6.0f} MB | card {flat_rows:>11,} rows {flat:>11,.0f} "
                      f"rows/s peak {flat_rss:>6.0f} MB | {rate / flat:.0%}", flush=True)
                time.sleep(0)
    print(f"lifecycle / flat rows/s, worst: {worst:.0%} (target {TARGET:.0%})")
    return 0 if worst >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""Avro container files at full speed: rows/s of --format avro against plain CSV, 2 workers.

Prints the generator's own rows/s (schema load to renamed file) for CSV and Avro of the card
schema before entities, runs alternating so both see the same machine, the sizes, and checks
that fastavro finds every row in the Avro file's blocks.

    .venv/bin/python benchmarks/avro_output.py [--rows 2000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import fastavro

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "benchmarks/schemas/card_independent.json"
SCRIPT = REPO / "services/batch/generate_synthetic_data.py"


def rows_per_second(rows: int, out: Path, workers: int) -> float:
    done = subprocess.run([sys.executable, str(SCRIPT), "--config", str(SCHEMA), "--out",
                           str(out), "--n", str(rows), "--workers", str(workers), "--seed",
                           "1", "--no-progress"], capture_output=True, text=True, check=True)
    return rows / float(re.search(r" in ([0-9.]+) s ", done.stdout).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"csv": [], "avro": []}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"bench.{name}" for name in rates}
        for _ in range(args.runs):
            for name, out in paths.items():
                rates[name].append(rows_per_second(args.rows, out, 2))
        with paths["avro"].open("rb") as source:
            found = sum(block.num_records for block in fastavro.block_reader(source))
        if found != args.rows:
            raise SystemExit(f"the Avro file holds {found:,} rows, not {args.rows:,}")
        sizes = {name: path.stat().st_size for name, path in paths.items()}
    for name, runs in rates.items():
        print(f"{name}, {args.rows:,} rows, 2 workers: median "
              f"{statistics.median(runs):,.0f} rows/s (runs: "
              f"{', '.join(f'{r:,.0f}' for r in runs)})")
    ratio = statistics.median(rates["avro"]) / statistics.median(rates["csv"])
    print(f"avro/csv rows/s: {ratio:.0%}; sizes: csv {sizes['csv'] / 1e6:,.1f} MB, avro "
          f"(deflate) {sizes['avro'] / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()

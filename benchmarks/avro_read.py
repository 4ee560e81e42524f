"""Reading Avro extracts: rows/s of services.extracts' Avro reader against its CSV and
Parquet readers, on the same rows of the card schema (one process, the replay's and the
inference's path: extract_batches, a batch of text columns at a time), and the reader's peak
memory growth, which stays at a few batches whatever the file's size.

    .venv/bin/python benchmarks/avro_read.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa

from services.extracts import extract_batches
from services.generator import write_dataset
from services.schema import load_schema

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "benchmarks/schemas/card_independent.json"
FORMATS = ("csv", "parquet", "avro")


def read_all(path: Path) -> int:
    return sum(batch.num_rows for batch in extract_batches(path))


def rows_per_second(path: Path, rows: int) -> float:
    start = time.perf_counter()
    assert read_all(path) == rows
    return rows / (time.perf_counter() - start)


def peak_mb(path: Path) -> float:
    """Python heap and Arrow memory at their highest while the file is read."""
    tracemalloc.start()
    arrow_peak = 0
    for _ in extract_batches(path):
        arrow_peak = max(arrow_peak, pa.total_allocated_bytes())
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (python_peak + arrow_peak) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    dataset = load_schema(SCHEMA)
    rates: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for fmt in FORMATS:
            ds = dataset.with_overrides(entity_count=args.rows, output_format=fmt)
            paths[fmt] = Path(tmp) / f"card{ds.output.suffix}"
            write_dataset(ds, paths[fmt], seed=1)
        for _ in range(args.runs):  # alternating, so each format sees the same machine
            for fmt in FORMATS:
                rates[fmt].append(rows_per_second(paths[fmt], args.rows))
        for fmt in FORMATS:
            size = paths[fmt].stat().st_size / 1e6
            print(f"{fmt:8} {statistics.median(rates[fmt]):>12,.0f} rows/s (median of "
                  f"{args.runs}), {size:.1f} MB")
        print(f"avro reader peak memory: {peak_mb(paths['avro']):.0f} MB for "
              f"{args.rows:,} rows")


if __name__ == "__main__":
    main()

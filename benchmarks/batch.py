"""Batch job wall time against one bare scan of the same files, in local mode.

Generates the card schema (2,000,000 rows by default) into a temp folder, starts one Spark
session, then times (after session start) the whole batch job and, in the same run, one
bare scan (read with the same reading schema, then count) and one scan that parses every
column. Target: job time at most 2x the bare scan.

    .venv/bin/python benchmarks/batch.py [--rows 2000000] [--format csv|parquet|avro]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from services.generator import write_dataset  # noqa: E402
from services.schema import load_schema  # noqa: E402
from services.spark.batch_job import APP_NAME, BatchJobSettings, publish  # noqa: E402
from services.spark.cleansing import Roles  # noqa: E402
from services.spark.extracts import avro_conf, list_extracts, read_extracts  # noqa: E402
from services.spark.session import build_session  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--format", choices=("csv", "parquet", "avro"), default="csv")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    dataset = load_schema(CARD)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        chosen = dataset.with_overrides(entity_count=args.rows, output_format=args.format)
        write_dataset(chosen, folder / "input" / f"card{chosen.output.suffix}", seed=1,
                      workers=2)
        settings = BatchJobSettings.from_env({
            "SCHEMA_CONFIG_PATH": str(CARD), "INPUT_PATH": str(folder / "input"),
            "OUT_PARQUET": str(folder / "out/analysis_parquet"),
            "OUT_LOCAL_CSV": str(folder / "out/analysis_csv")})
        spark = build_session(APP_NAME, None, {
            "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
            "spark.ui.showConsoleProgress": "false", **avro_conf()},
            event_log_dir=settings.event_log_dir)
        spark.sparkContext.setLogLevel("ERROR")
        try:
            extracts = list_extracts(spark, settings.resolve(settings.input_path))

            def frame():
                return read_extracts(spark, extracts, dataset)[0]

            def job() -> None:
                publish(spark, settings, dataset, Roles.of(dataset.analysis))

            def parse_all() -> None:
                spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")
                frame().count()
                spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "true")

            cold = timed(job)  # the first run also pays for JIT compiling the parse paths
            warm = timed(job)
            scan = min(timed(lambda: frame().count()) for _ in range(2))
            full = min(timed(parse_all) for _ in range(2))
        finally:
            spark.stop()
    print(f"{args.rows:,} rows of {args.format}, local[*] on this machine")
    print(f"batch job (after session start): first run {cold:.1f} s, second run {warm:.1f} s")
    print(f"bare scan (same reading schema, count): {scan:.2f} s -> ratio {warm / scan:.1f} "
          "(target <= 2); Spark answers this count without parsing any column")
    print(f"count that parses every column (CSV column pruning off): {full:.2f} s -> ratio "
          f"{warm / full:.1f}")


if __name__ == "__main__":
    main()

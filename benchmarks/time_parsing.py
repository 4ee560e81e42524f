"""Rows per second of the batch job's cleansing, and of its event-time parse alone.

Generates the card schema (1,000,000 rows by default) as the generator writes it (ISO times),
reads it with the batch job's reader and caches the strings in memory, so the file is not
what is timed. Then times, best of `--repeat`, each over every row:

- `cleanse`: the batch job's whole cleansing (services.spark.cleansing.normalise), every
  output column summed or counted so Spark cannot leave any of it out;
- `time iso`: the event-time parse alone on the generator's ISO times;
- `time mixed`: the same parse on a column of mixed spellings (ISO with Z and offsets,
  space-separated, slashed day-first and month-first, compact, and text that is no time).

    .venv/bin/python benchmarks/time_parsing.py [--rows 1000000] [--repeat 3]
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

from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from services.generator import write_dataset  # noqa: E402
from services.schema import load_schema  # noqa: E402
from services.spark.cleansing import VALID_TS, event_time_parser, normalise  # noqa: E402
from services.spark.extracts import list_extracts, read_extracts  # noqa: E402
from services.spark.session import build_session  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"
MIXED = ("2025-03-03T10:10:00", "2025-03-03T10:10:00Z", "2025-03-03T10:10:00.123+01:00",
         "2025-03-03 10:10:00", "03/03/2025 10:10:00", "03/13/2025 10:10:00", "2025/03/03 10:10:00",
         "20250303101000", "not a time", "2025-02-31T00:00:00")


def best(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def as_number(field: T.StructField):
    """A column as a number to sum, so an aggregate needs every value of it."""
    if isinstance(field.dataType, T.TimestampType):
        return F.unix_seconds(field.name)
    if isinstance(field.dataType, T.DateType):
        return F.unix_date(field.name)
    if isinstance(field.dataType, T.StringType):
        return F.length(field.name)
    return F.col(field.name).cast("double")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    dataset = load_schema(CARD)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "input"
        write_dataset(dataset.with_overrides(entity_count=args.rows), folder / "card.csv",
                      seed=1, workers=2)
        spark = build_session("time-parsing-benchmark", None, {
            "spark.sql.shuffle.partitions": "2", "spark.ui.showConsoleProgress": "false"},
            event_log_dir="none")
        spark.sparkContext.setLogLevel("ERROR")
        try:
            raw, _ = read_extracts(spark, list_extracts(spark, folder.as_uri()), dataset)
            raw = raw.cache()
            raw.count()
            clean = normalise(raw, dataset)
            sums = [F.sum(as_number(c)) for c in clean.schema.fields if c.name != VALID_TS]
            whole = best(lambda: clean.agg(*sums, F.count_if(F.col(VALID_TS))).collect(),
                         args.repeat)
            parse = event_time_parser(dataset)
            iso = best(lambda: raw.agg(F.sum(F.unix_seconds(parse(F.col("event_time")))))
                       .collect(), args.repeat)
            mixed_rows = raw.select(F.element_at(F.array(*[F.lit(v) for v in MIXED]),
                                                 (F.monotonically_increasing_id()
                                                  % len(MIXED) + 1).cast("int")).alias("t"))
            mixed_rows = mixed_rows.cache()
            mixed_rows.count()
            mixed = best(lambda: mixed_rows.agg(F.sum(F.unix_seconds(parse(F.col("t")))))
                         .collect(), args.repeat)
        finally:
            spark.stop()
    for name, seconds in (("cleanse", whole), ("time iso", iso), ("time mixed", mixed)):
        print(f"{name:>10}: {args.rows / seconds:>12,.0f} rows/s ({seconds:.2f} s, "
              f"{args.rows:,} rows, best of {args.repeat})")


if __name__ == "__main__":
    main()

"""The command line of schema inference and of the fidelity report (`sdp-infer-schema`,
`services/batch/infer_schema.py`; both run `main` through services.commands)."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from services.common import settings
from services.common.cli import LOG_LEVELS, ArgumentParser, UsageError, configure_logging
from services.common.files import write_text_atomic
from services.infer.compare import compare, format_report
from services.infer.infer import infer_schema
from services.infer.samples import SampleError, read_samples
from services.infer.schema_out import render
from services.schema import SchemaError, parse_schema

log = logging.getLogger("infer")


ENV_OPTIONS = (settings.LOG_LEVEL,)


def parse_args(argv: Sequence[str] | None):
    defaults = settings.resolve(ENV_OPTIONS, os.environ)
    parser = ArgumentParser(
        prog="infer_schema.py",
        description="Write a schema file shaped like a sample of real data (CSV, JSONL or "
                    "Parquet, gzip or not), or compare a synthetic extract with a real one.")
    parser.add_argument("samples", nargs="*", metavar="SAMPLE",
                        help="files (or folders of extracts) to learn from")
    parser.add_argument("--out", help="the schema file to write")
    parser.add_argument("--sample-rows", type=int, help="read at most this many rows")
    parser.add_argument("--name", help="the dataset's name (default: the first file's stem)")
    parser.add_argument("--compare", nargs=2, metavar=("REAL", "SYNTHETIC"),
                        help="report how close SYNTHETIC comes to REAL, column by column")
    parser.add_argument("--json", help="with --compare: also write the report as JSON here")
    parser.add_argument("--log-level", default=defaults["log_level"], choices=LOG_LEVELS)
    args = parser.parse_args(argv)
    if args.compare:
        if args.samples or args.out or args.name or args.sample_rows:
            raise UsageError("--compare takes two files and --json only")
    else:
        if not args.samples:
            raise UsageError("give the SAMPLE files to learn from (or --compare REAL SYNTHETIC)")
        if not args.out:
            raise UsageError("--out is required: the schema file to write")
        if args.json:
            raise UsageError("--json goes with --compare")
    target = args.json if args.compare else args.out
    if target and not Path(target).resolve().parent.is_dir():
        raise UsageError(f"{target}: its folder does not exist")
    if args.sample_rows is not None and args.sample_rows < 1:
        raise UsageError(f"--sample-rows must be >= 1, got {args.sample_rows}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    try:
        if args.compare:
            return _compare(*args.compare, args.json)
        return _infer(args.samples, Path(args.out), args.sample_rows, args.name)
    except SampleError as exc:
        raise UsageError(str(exc)) from None


def _infer(samples: list[str], out: Path, limit: int | None, name: str | None) -> int:
    started = time.perf_counter()
    sample = read_samples(samples, limit)
    doc = infer_schema(sample, name)
    try:
        parse_schema(doc, source=str(out))  # what is written must pass --validate
    except SchemaError as exc:
        raise RuntimeError(f"the inferred schema is refused, a bug: {exc}") from None
    write_text_atomic(out, render(doc) + "\n")
    print(f"wrote {out}: {len(doc['schema']['fields'])} fields from {sample.rows:,} rows in "
          f"{time.perf_counter() - started:.1f} s")
    return 0


def _compare(real: str, synthetic: str, json_out: str | None) -> int:
    report = compare(read_samples([real]), read_samples([synthetic]))
    print(format_report(report))
    if json_out:
        write_text_atomic(Path(json_out), json.dumps(report, indent=2) + "\n")
    return 0

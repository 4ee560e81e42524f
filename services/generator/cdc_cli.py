"""`--cdc` on the command line: what it refuses and where its two outputs go.

Why a switch and not `--format cdc`: --format says how a table's rows are encoded, and a
--cdc run writes two things, the change stream (always JSON Lines: an envelope nests the
row twice) and the expected final table, which is a table of the run's format. So --cdc
picks what is written and --format (or the schema's `output`) keeps meaning the table's
encoding; --gzip applies to both (not to a Parquet or Avro table, compressed inside).

Names: `<folder>/<name>.changes.jsonl[.gz]` and `<folder>/_final/<name><suffix>`; with
`--out F`, F is the change file (it must end in .jsonl or .jsonl.gz) and `<name>` is its
name without `.changes.jsonl[.gz]` or `.jsonl[.gz]`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from services.common.cli import UsageError
from services.generator.change_output import CHANGES_SUFFIX, FINAL_FOLDER
from services.schema import SELF_COMPRESSED, Dataset


def check_cdc(dataset: Dataset) -> None:
    """A change stream follows a lifecycle that says which table and key its rows are."""
    cycle = dataset.lifecycle
    if cycle is None:
        raise UsageError(f"--cdc: {dataset.source} has no lifecycle; a change stream is the "
                         "changes of a lifecycle's rows (docs/SCHEMA_FORMAT.md, \"changes\")")
    if cycle.changes is None:
        raise UsageError(f"--cdc: {dataset.source}: entities.{cycle.entity}.lifecycle has no "
                         "\"changes\" (its key, table and delete states); add it "
                         "(docs/SCHEMA_FORMAT.md, \"changes\")")


def cdc_outputs(args, dataset: Dataset) -> tuple[Dataset, Path, Path, bool]:
    """The dataset with the command line's overrides (its format: the final table's), the
    change file, the final table, and whether the change file is gzipped."""
    check_cdc(dataset)
    if args.clear_output:
        raise UsageError("--clear-output does not apply to --cdc (it knows the extracts of a "
                         "table run, not change files)")
    fmt = args.format or dataset.output.format
    if args.out:
        out = Path(args.out)
        name = out.name.removesuffix(".gz")
        if not name.endswith(".jsonl"):
            raise UsageError(f"--cdc writes the change stream as JSON Lines: --out {args.out} "
                             "must end in .jsonl or .jsonl.gz (the final table goes in "
                             f"{FINAL_FOLDER}/ beside it, in --format)")
        gz = out.name.endswith(".gz") or bool(args.gzip)
        if gz and not out.name.endswith(".gz"):
            out = out.with_name(out.name + ".gz")
            print(f"--gzip: writing {out} (--out {args.out} with .gz added)", file=sys.stderr)
        folder = out.parent
        name = name.removesuffix(".jsonl").removesuffix(".changes")
    else:
        gz = dataset.output.gzip if args.gzip is None else bool(args.gzip)
        folder = args.output_dir
        name = args.output_name or Path(dataset.source).stem
        out = folder / f"{name}{CHANGES_SUFFIX}{'.gz' if gz else ''}"
    dataset = dataset.with_overrides(seed=args.seed, entity_count=args.n, output_format=fmt,
                                     gzip=gz and fmt not in SELF_COMPRESSED)
    return dataset, out, folder / FINAL_FOLDER / f"{name}{dataset.output.suffix}", gz


def cdc_parts(args, dataset: Dataset) -> tuple[Dataset, bool]:
    """--engine spark --cdc: the dataset with the overrides (its format: the final table's
    parts'), and whether the change parts are gzipped (--gzip, or --out ending in .gz)."""
    check_cdc(dataset)
    fmt = args.format or dataset.output.format
    gz = bool(args.gzip) or Path(args.out).name.endswith(".gz")
    return dataset.with_overrides(seed=args.seed, entity_count=args.n, output_format=fmt,
                                  gzip=gz and fmt not in SELF_COMPRESSED), gz

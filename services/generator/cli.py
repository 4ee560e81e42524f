"""The generator's command line, read once into GeneratorSettings, and its local engine (this
process and --workers). `sdp-generate` (services.commands.generate, which the script
`services/batch/generate_synthetic_data.py` calls) parses here, then runs `run_local` or,
for --engine spark, services.spark.generate.run_command: only that imports pyspark."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.common import settings
from services.common.cli import LOG_LEVELS, ArgumentParser, UsageError, configure_logging
from services.common.files import remove_leftovers
from services.common.paths import DEFAULT_SCHEMA
from services.common.progress import ProgressBar
from services.common.signals import terminate_as_interrupt
from services.generator.earlier import clear_earlier_extracts
from services.generator.engine import BLOCK_SIZE, ENTITY_FOLDER, WriteResult, write_dataset
from services.generator.parts import DEFAULT_PART_BLOCKS
from services.schema import OUTPUT_FORMATS, SELF_COMPRESSED, Dataset, load_schema

log = logging.getLogger("generator")

ENGINES = ("local", "spark")


ENV_OPTIONS = (
    settings.SCHEMA_CONFIG_PATH,
    settings.Option("rows", "GENERATOR_ROWS", settings.integer(0, float("inf"))),
    settings.Option("output_dir", "GENERATOR_OUTPUT_DIR", settings.path, Path("data/input")),
    settings.LOG_LEVEL,
    # --engine spark
    settings.Option("spark_master", "SPARK_MASTER", settings.text),
    settings.Option("use_hdfs", "USE_HDFS", settings.boolean, False),
    settings.Option("namenode", "HDFS_NAMENODE_URI", settings.text, "hdfs://namenode:8020"),
    settings.Option("webhdfs", "HDFS_WEBHDFS_URL", settings.text),
    settings.Option("hadoop_user", "HADOOP_USER_NAME", settings.text),
    settings.Option("executor_python", "PYSPARK_PYTHON", settings.text),
    settings.SPARK_EVENT_LOG_DIR,
)


@dataclass(frozen=True)
class GeneratorSettings:
    """The flags, each with its environment default applied."""

    config: str
    out: str | None
    output_dir: Path
    output_name: str | None
    n: int | None
    format: str | None
    seed: int | None
    gzip: bool | None
    clear_output: bool
    cdc: bool
    workers: int | None
    engine: str
    validate: bool
    no_progress: bool
    log_level: str
    # --engine spark
    spark_master: str | None
    part_blocks: int
    replace: bool
    webhdfs: str | None
    use_hdfs: bool
    namenode: str
    hadoop_user: str | None
    executor_python: str | None
    event_log_dir: str


def parse_args(argv: Sequence[str] | None) -> GeneratorSettings:
    defaults = settings.resolve(ENV_OPTIONS, os.environ)
    parser = ArgumentParser(
        prog="generate_synthetic_data.py",
        description="Generate a synthetic dataset from a JSON schema file.",
    )
    parser.add_argument("--config",
                        default=str(defaults["schema_path"] or DEFAULT_SCHEMA),
                        help="schema file (default: $SCHEMA_CONFIG_PATH or the card schema)")
    parser.add_argument("--out", help="output file; the format and gzip follow its suffix")
    parser.add_argument("--output-dir", help="output folder (default: data/input)")
    parser.add_argument("--output-name", help="file name without suffix (default: schema name)")
    parser.add_argument("--n", type=int, default=defaults["rows"],
                        help="rows to generate (overrides entity_count; env GENERATOR_ROWS)")
    parser.add_argument("--format", choices=OUTPUT_FORMATS,
                        help="output format (overrides the file)")
    parser.add_argument("--seed", type=int, help="random seed (overrides the file)")
    parser.add_argument("--gzip", action="store_true", default=None, help="gzip csv/jsonl output")
    parser.add_argument("--clear-output", action="store_true",
                        help="after writing, remove what earlier runs wrote in the target "
                             "folder: extracts of any format, Spark parts folders, entity "
                             "tables (other files and folders stay)")
    parser.add_argument("--cdc", action="store_true",
                        help="write the lifecycle as a change stream (Debezium envelopes, JSON "
                             "Lines) and the expected final table in _final/ (the schema's "
                             "lifecycle needs \"changes\")")
    parser.add_argument("--workers", type=int,
                        help="worker processes (0 = one per CPU for big runs); output is identical "
                             "for any count")
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="local: this process and --workers, one file (default); spark: "
                             "Spark tasks write a folder of part files (--out DIR or hdfs:// URI)")
    parser.add_argument("--spark-master",
                        help="with --engine spark: the master URL (default: $SPARK_MASTER, "
                             "else local[*])")
    parser.add_argument("--part-blocks", type=int,
                        help=f"with --engine spark: blocks of {BLOCK_SIZE:,} rows per part file "
                             f"(default {DEFAULT_PART_BLOCKS})")
    parser.add_argument("--replace", action="store_true",
                        help="with --engine spark: replace an existing output folder")
    parser.add_argument("--webhdfs",
                        help="with --engine spark and HDFS output: the NameNode's WebHDFS URL "
                             "(default: $HDFS_WEBHDFS_URL, else http://NAMENODE:9870)")
    parser.add_argument("--validate", action="store_true", help="check the schema and exit")
    parser.add_argument("--no-progress", action="store_true", help="never draw a progress bar")
    parser.add_argument("--log-level", default=defaults["log_level"], choices=LOG_LEVELS)
    args = parser.parse_args(argv)
    if args.out and (args.output_dir or args.output_name):
        raise UsageError("--out cannot be combined with --output-dir/--output-name")
    if args.n is not None and args.n < 0:
        raise UsageError(f"--n must be >= 0, got {args.n}")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed must be between 0 and 2**63-1, got {args.seed}")
    if args.workers is not None and args.workers < 0:
        raise UsageError(f"--workers must be >= 0, got {args.workers}")
    check_engine_flags(args)
    return GeneratorSettings(
        config=args.config, out=args.out,
        output_dir=Path(args.output_dir) if args.output_dir else defaults["output_dir"],
        output_name=args.output_name, n=args.n, format=args.format, seed=args.seed,
        gzip=args.gzip, clear_output=args.clear_output, cdc=args.cdc, workers=args.workers,
        engine=args.engine, validate=args.validate, no_progress=args.no_progress,
        log_level=args.log_level, spark_master=args.spark_master or defaults["spark_master"],
        part_blocks=args.part_blocks or DEFAULT_PART_BLOCKS, replace=args.replace,
        webhdfs=args.webhdfs or defaults["webhdfs"], use_hdfs=defaults["use_hdfs"],
        namenode=defaults["namenode"], hadoop_user=defaults["hadoop_user"],
        executor_python=defaults["executor_python"],
        event_log_dir=defaults["event_log_dir"])


def check_engine_flags(args) -> None:
    """Each engine's flags with that engine only, so no flag is silently ignored."""
    if args.engine == "spark":
        if not args.out:
            raise UsageError("--engine spark writes a folder: give it as --out DIR or "
                             "--out hdfs://NAMENODE:PORT/PATH")
        for flag, given in (("--workers", args.workers is not None),
                            ("--clear-output", args.clear_output)):
            if given:
                raise UsageError(f"{flag} applies to --engine local only (Spark runs as many "
                                 "tasks as the master has cores; --replace replaces a folder)")
        if args.part_blocks is not None and args.part_blocks < 1:
            raise UsageError(f"--part-blocks must be >= 1, got {args.part_blocks}")
        return
    for flag, given in (("--spark-master", args.spark_master is not None),
                        ("--part-blocks", args.part_blocks is not None),
                        ("--replace", args.replace), ("--webhdfs", args.webhdfs)):
        if given:
            raise UsageError(f"{flag} applies to --engine spark only")


def format_from_suffix(path: Path) -> tuple[str | None, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    fmt = suffixes[-1][1:] if suffixes and suffixes[-1][1:] in OUTPUT_FORMATS else None
    return fmt, gz


def output_choice(args: GeneratorSettings, dataset: Dataset) -> tuple[str | None, bool | None]:
    """The format and gzip the command line asks for (None: the file's); a conflict is
    named after the flag or suffix the user gave. Parquet or Avro chosen here drops the file's gzip,
    which was meant for its csv or jsonl. A folder (--engine spark) may end in .gz or not.
    `--gzip` with a plain `--out x.csv` means x.csv.gz (gzip_path)."""
    fmt = args.format
    suffix_fmt, suffix_gz = format_from_suffix(Path(args.out)) if args.out else (None, False)
    if fmt and suffix_fmt and fmt != suffix_fmt:
        raise UsageError(f"--format {fmt} disagrees with the suffix of --out {args.out}")
    fmt = fmt or suffix_fmt
    chosen_fmt = fmt or dataset.output.format
    packed = chosen_fmt in SELF_COMPRESSED  # parquet, avro: compressed inside the file
    if args.gzip and packed:
        chosen = (f"--out {args.out}" if suffix_fmt else f"--format {fmt}" if fmt
                  else f"the output format {chosen_fmt} of {dataset.source}")
        raise UsageError(f"--gzip contradicts {chosen}: {chosen_fmt} compresses itself; drop "
                         "--gzip or write csv or jsonl")
    if not args.out:
        return fmt, False if packed else args.gzip
    if suffix_gz and packed:
        raise UsageError(f"--out {args.out}: the .gz suffix applies to csv and jsonl only "
                         f"({chosen_fmt} compresses itself); end the name in .{chosen_fmt}")
    if args.engine == "spark":  # a folder: its name, the flag, else the file decides
        return fmt, False if packed else (True if suffix_gz else args.gzip)
    return fmt, suffix_gz or bool(args.gzip)


def gzip_path(args: GeneratorSettings) -> Path:
    """--out as given, or with .gz added when --gzip asks for gzip and the name lacks it
    (the design's command lines pass --gzip with a plain name); said in one line."""
    out = Path(args.out)
    if args.gzip and args.engine == "local" and not format_from_suffix(out)[1]:
        out = out.with_name(out.name + ".gz")
        print(f"--gzip: writing {out} (--out {args.out} with .gz added)", file=sys.stderr)
    return out


def resolve_dataset_and_path(args: GeneratorSettings, dataset: Dataset) -> tuple[Dataset, Path]:
    """Apply CLI overrides (they win over the file) and decide the output file."""
    fmt, gz = output_choice(args, dataset)
    dataset = dataset.with_overrides(seed=args.seed, entity_count=args.n, output_format=fmt,
                                     gzip=gz)
    if args.out:
        return dataset, gzip_path(args)
    folder = args.output_dir
    name = args.output_name or Path(dataset.source).stem
    suffix = dataset.output.suffix
    return dataset, folder / (name if name.endswith(suffix) else name + suffix)


def auto_workers(rows: int) -> int:
    """One worker per CPU when the run is big enough to repay starting them."""
    return (os.cpu_count() or 1) if rows > 8 * BLOCK_SIZE else 1


def summary(result: WriteResult, seed: int) -> str:
    rate = result.rows / result.seconds if result.seconds > 0 else float("inf")
    return (f"wrote {result.rows:,} rows to {result.path} ({result.bytes / 1e6:,.1f} MB) in "
            f"{result.seconds:.2f} s ({rate:,.0f} rows/s), seed {seed}")


def run_seed(dataset: Dataset) -> int:
    if dataset.seed is not None:
        return dataset.seed
    seed = secrets.randbelow(2**63)
    print(f"no seed given: this run uses seed {seed} (pass --seed {seed} to repeat it)",
          file=sys.stderr)
    return seed


def prepare(options: GeneratorSettings) -> Dataset | None:
    """Logging and the schema; with --validate, the report (and None: nothing to run)."""
    configure_logging(options.log_level)
    dataset = load_schema(options.config)
    if not options.validate:
        return dataset
    a = dataset.analysis
    print(f"{options.config}: OK, {len(dataset.fields)} fields; analysis: timestamp "
          f"{a.timestamp_field}, dimensions {list(a.dimensions)}, numeric "
          f"{list(a.numeric_fields)}, boolean {list(a.boolean_fields)}"
          + "".join(f"; entity {e.name}: {e.count:,} rows, key {e.key}"
                    for e in dataset.entities))
    return None


def run_local(options: GeneratorSettings, dataset: Dataset) -> int:
    """--engine local: one file, written by this process and its workers. SIGTERM stops it
    as Ctrl-C does: its temporary files removed, exit 130."""
    with terminate_as_interrupt():
        if options.cdc:
            return write_cdc(options, dataset)
        return write_local(options, dataset)


def local_run(options: GeneratorSettings, dataset: Dataset, folders: tuple[Path, ...],
              ) -> tuple[int, int, ProgressBar]:
    """What a local run does first: clear what a dead run left in its `folders`; then its
    seed, its worker count and its progress bar."""
    for folder in folders:
        for old in remove_leftovers(folder):
            log.info("removed %s, left by a run that died", old)
    workers = options.workers if options.workers else (
        auto_workers(dataset.entity_count) if options.workers == 0 else 1)
    bar = ProgressBar(dataset.entity_count, enabled=False if options.no_progress else None)
    return run_seed(dataset), workers, bar


def write_local(options: GeneratorSettings, dataset: Dataset) -> int:
    dataset, path = resolve_dataset_and_path(options, dataset)
    seed, workers, bar = local_run(options, dataset, (path.parent, path.parent / ENTITY_FOLDER))
    try:
        result = write_dataset(dataset, path, seed, workers=workers, progress=bar)
    finally:
        bar.close()
    if options.clear_output:
        keep = [result.path, *(entity.path for entity in result.entities)]
        for old in clear_earlier_extracts(path.parent, keep):
            log.info("removed earlier extract %s", old)
    print(summary(result, seed))
    for entity in result.entities:
        print(f"wrote entity table {entity.path} ({entity.rows:,} rows, "
              f"{entity.bytes / 1e6:,.1f} MB)")
    return 0


def write_cdc(options: GeneratorSettings, dataset: Dataset) -> int:
    """--cdc: the change file and the final table (services.generator.change_output)."""
    from services.generator.cdc_cli import cdc_outputs
    from services.generator.change_output import write_changes

    dataset, path, final, gz = cdc_outputs(options, dataset)
    seed, workers, bar = local_run(options, dataset, (path.parent, final.parent))
    try:
        result = write_changes(dataset, path, final, gz, seed, workers=workers, progress=bar)
    finally:
        bar.close()
    rate = result.changes / result.seconds if result.seconds > 0 else float("inf")
    print(f"wrote {result.changes:,} changes to {path} in {result.seconds:.2f} s "
          f"({rate:,.0f} changes/s), seed {seed}")
    print(f"wrote the final table {final} ({result.final_rows:,} rows)")
    return 0

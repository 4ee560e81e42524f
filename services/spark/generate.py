"""Generation as Spark tasks: the driver sends part numbers, executors make and write parts.

The driver never sees a row. It checks the target, draws the faker pools and makes the
entity tables once and broadcasts them (and writes the entity tables itself), runs one task
per part (an RDD of part numbers, one per partition), then commits: `_SUCCESS` is written
last into the hidden temporary folder, which is renamed to the output folder in one step. A
run killed at any point leaves at most a hidden temporary folder, never a folder that looks
complete. Executors need only the project's package: shipped as a zip to a cluster, already
importable in local mode.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.common.cli import UsageError
from services.common.files import (
    is_leftover,
    remove_leftovers,
    scratch_folder,
    swap_folder,
    temporary_sibling,
)
from services.common.paths import PACKAGE
from services.common.signals import INTERRUPTED
from services.common.stores import write_bytes
from services.generator import (
    ENTITY_FOLDER,
    SUCCESS,
    EntityTable,
    GeneratorSettings,
    PartPlan,
    PartWritten,
    Target,
    cdc_parts,
    encoder_for,
    entity_blocks,
    entity_tables,
    faker_pools,
    output_choice,
    resolve_target,
    run_seed,
    write_part,
)
from services.schema import Dataset
from services.spark.errors import quiet_task_failures, spark_error_message
from services.spark.session import SparkStop, build_session

log = logging.getLogger("generator.spark")

APP_NAME = "generator.spark_engine"
MASTER_FORMS = "local, local[N], local[*], spark://HOST:PORT, yarn, k8s://https://HOST:PORT"
SCRATCH = Path(tempfile.gettempdir()) / "sdp-generator"  # the package zip for a cluster
_MASTER = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?|spark://[^/\s]+:\d+(,[^/\s]+:\d+)*"
                     r"|yarn|k8s://\S+|local-cluster\[\d+,\d+,\d+\]")


def check_master(master: str, timeout: float = 5.0) -> None:
    """A master URL Spark accepts; a standalone master must answer on its port (Spark
    itself would retry for a minute before giving up)."""
    if not _MASTER.fullmatch(master):
        raise UsageError(f"--spark-master {master!r} is not a Spark master URL; accepted: "
                         f"{MASTER_FORMS}")
    if master.startswith("spark://"):
        host, _, port = master[len("spark://"):].split(",")[0].rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=timeout).close()
        except OSError as exc:
            raise UsageError(f"--spark-master {master}: no Spark master answers there "
                             f"({exc.strerror or exc})") from None


def check_target(target: Target, replace: bool) -> None:
    """The output folder is free (or may be replaced) and its store answers."""
    try:
        exists = target.store.exists(target.path)
    except Exception as exc:  # WebHDFS unreachable, refused
        raise UsageError(f"--out {target.uri}: cannot reach {where(target)} "
                         f"({type(exc).__name__}: {exc}); set HDFS_WEBHDFS_URL "
                         "or --webhdfs") from None
    if exists and not replace:
        raise UsageError(f"--out {target.uri} already exists; remove it, choose another "
                         "folder, or pass --replace")


def where(target: Target) -> str:
    return f"WebHDFS at {target.store.url}" if target.on_hdfs else "the local disk"


def package_zip(folder: Path) -> Path:
    """The `services` package as a zip for executors (Python sources and schema files)."""
    path = folder / f"services-{os.getpid()}-{time.monotonic_ns()}.zip"  # a new name a run
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(PACKAGE.rglob("*")):
            if source.suffix in (".py", ".json") and "__pycache__" not in source.parts:
                archive.write(source, source.relative_to(PACKAGE.parent))
    return path


@dataclass(frozen=True)
class SparkResult:
    rows: int
    uri: str
    parts: int
    seconds: float


class TaskFailed(RuntimeError):
    """A Spark task failed; the message is the task's own Python error when there is one."""


def task_failure(exc: BaseException) -> TaskFailed:
    """The Python error a task raised (the last line of its traceback inside the Java
    exception), else Spark's own root cause."""
    text = str(exc)
    start = text.find("Traceback (most recent call last):")
    if start >= 0:
        lines = [line for line in text[start:].split("\n\n")[0].splitlines() if line.strip()]
        return TaskFailed(f"a generator task failed: {lines[-1].strip()}")
    return TaskFailed(f"the Spark job failed: {spark_error_message(exc)}")


def run_parts(spark, plan: PartPlan, entities: Mapping[str, EntityTable], target: Target,
              folder: str) -> list[PartWritten]:
    """One task per part; each task gets its part number and writes the part itself."""
    context = spark.sparkContext
    shared = context.broadcast((faker_pools(plan.dataset, plan.seed), entities))
    store = target.store

    def task(parts):
        pools, tables = shared.value
        return [write_part(plan, pools, tables, store, folder, part) for part in parts]

    try:
        return (context.parallelize(range(plan.parts), plan.parts)
                .mapPartitions(task).collect())
    except Exception as exc:  # Py4JJavaError: the job failed after the task retries
        raise task_failure(exc) from None
    finally:
        shared.destroy()


def write_entities(plan: PartPlan, entities: Mapping[str, EntityTable], target: Target,
                   folder: str) -> None:
    """Each entity table in `_entities/` of the folder, named as the single process names
    it beside a file (`<stem>.<entity><suffix>`; the batch job skips `_` folders)."""
    if not entities:
        return
    suffix = plan.dataset.output.suffix
    name = Path(target.path).name
    stem = name[:-len(suffix)] if name.endswith(suffix) else name
    target.store.makedirs(f"{folder}/{ENTITY_FOLDER}")
    for entity_name, table in entities.items():
        encoder = encoder_for(plan.dataset.entity_dataset(table.entity))
        path = f"{folder}/{ENTITY_FOLDER}/{stem}.{entity_name}{suffix}"
        with target.store.create(path) as out, encoder.stream(out) as sink:
            for block in entity_blocks(plan.dataset, table):
                sink.write(encoder.encode(block))


def commit(target: Target, folder: str, written: list[PartWritten], plan: PartPlan,
           replace: bool) -> None:
    """Check every part arrived with its rows, write _SUCCESS last, rename into place."""
    expected = [plan.name(p) for p in range(plan.parts)]
    names = [w.name for w in written]
    if names != expected or sum(w.counted for w in written) != plan.total:
        raise RuntimeError(f"the tasks wrote {len(names)} of {len(expected)} parts and "
                           f"{sum(w.counted for w in written):,} of {plan.total:,} rows")
    store = target.store
    write_bytes(store, f"{folder}/{SUCCESS}", b"")
    if replace:
        swap_folder(store, folder, target.path)
    else:
        store.rename(folder, target.path)


def generate(spark, plan: PartPlan, target: Target, *, replace: bool = False,
             executor_python: str | None = None) -> SparkResult:
    """Write `plan` as a folder of parts at `target` with the session's executors (see the
    module doc). The caller owns the session."""
    started = time.perf_counter()
    check_target(target, replace)
    folder = temporary_sibling(target.path)
    context = spark.sparkContext
    try:
        with scratch_folder(SCRATCH) as scratch:
            if context.master.startswith("local"):
                # Local executors run here: this Python has the packages (pyspark would
                # start `python3` from PATH unless PYSPARK_PYTHON says otherwise).
                context.pythonExec = executor_python or sys.executable
            else:
                context.addPyFile(str(package_zip(scratch)))
            target.store.makedirs(folder)
            log.info("writing %d part(s) of up to %d blocks to %s", plan.parts,
                     plan.part_blocks, folder)
            entities = entity_tables(plan.dataset, plan.seed)
            written = run_parts(spark, plan, entities, target, folder)
            write_entities(plan, entities, target, folder)
        commit(target, folder, written, plan, replace)
    except BaseException:
        try:
            target.store.delete(folder)
        except Exception as exc:  # the original error matters more
            log.warning("could not remove the temporary folder %s: %s", folder, exc)
        raise
    return SparkResult(sum(w.rows for w in written), target.uri, plan.parts,
                       time.perf_counter() - started)


def remove_dead_runs(target: Target) -> None:
    """What runs that died (SIGKILL, a crash) left: their temporary folders beside the
    output folder, on the local disk or HDFS, and their scratch folders (services.common.files
    names them by process and host)."""
    for old in remove_leftovers(SCRATCH.parent):
        log.info("removed %s, left by a run that died", old)
    parent = target.path.rstrip("/").rpartition("/")[0] or "/"
    if not target.store.exists(parent):
        return
    for name in target.store.list(parent):
        if is_leftover(name):
            target.store.delete(f"{parent}/{name}")
            log.info("removed %s/%s, left by a run that died", parent, name)


def run(plan: PartPlan, target: Target, master: str | None, *, replace: bool = False,
        executor_python: str | None = None, event_log_dir: str) -> SparkResult:
    """Check what can be checked without Spark, then start a session for this run only."""
    if master:
        check_master(master)
    check_target(target, replace)
    remove_dead_runs(target)
    spark = build_session(APP_NAME, master, event_log_dir=event_log_dir)
    quiet_task_failures(spark)  # a failed task, or a stop, is reported in one line
    try:
        return generate(spark, plan, target, replace=replace,
                        executor_python=executor_python)
    finally:
        spark.stop()


def run_command(options: GeneratorSettings, dataset: Dataset) -> int:
    """`sdp-generate --engine spark`: a folder of part files written by Spark tasks."""
    if options.cdc:  # the change stream's parts, and the final table's in _final/
        dataset, cdc_gzip = cdc_parts(options, dataset)
    else:
        fmt, gz = output_choice(options, dataset)
        dataset = dataset.with_overrides(seed=options.seed, entity_count=options.n,
                                         output_format=fmt, gzip=gz)
    target = resolve_target(options.out, use_hdfs=options.use_hdfs, namenode=options.namenode,
                            webhdfs=options.webhdfs, user=options.hadoop_user)
    plan = PartPlan(dataset, run_seed(dataset), options.part_blocks, cdc=options.cdc,
                    cdc_gzip=options.cdc and cdc_gzip)
    encoder_for(plan.dataset)  # what the tasks' encoder refuses, refused before Spark starts
    with SparkStop(stop_spark=True) as stop:
        try:
            result = run(plan, target, options.spark_master, replace=options.replace,
                         executor_python=options.executor_python,
                         event_log_dir=options.event_log_dir)
        except Exception as exc:
            if not stop.requested.is_set():
                raise
            log.debug("the stop ended the run with: %s", exc)  # what a stopped Spark says
            print("interrupted", file=sys.stderr)
            return INTERRUPTED
    rate = result.rows / result.seconds if result.seconds > 0 else float("inf")
    print(f"wrote {result.rows:,} rows in {result.parts} part(s) to {result.uri} in "
          f"{result.seconds:.2f} s ({rate:,.0f} rows/s), seed {plan.seed}")
    return 0

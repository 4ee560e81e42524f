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
from services.generator.encoders import encoder_for
from services.generator.engine import (
    ENTITY_FOLDER,
    check_runnable,
    entity_blocks,
    entity_tables,
)
from services.generator.faker_pools import faker_pools
from services.generator.links import EntityTable
from services.generator.parts import SUCCESS, PartPlan, PartWritten, write_part
from services.generator.stores import Target, hidden_sibling, write_bytes

log = logging.getLogger("generator.spark")

APP_NAME = "generator.spark_engine"
PACKAGE = Path(__file__).resolve().parents[1]  # services/
MASTER_FORMS = "local, local[N], local[*], spark://HOST:PORT, yarn, k8s://https://HOST:PORT"
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
    from services.spark.errors import spark_error_message

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
    if names != expected or sum(w.rows for w in written) != plan.total:
        raise RuntimeError(f"the tasks wrote {len(names)} of {len(expected)} parts and "
                           f"{sum(w.rows for w in written):,} of {plan.total:,} rows")
    store = target.store
    write_bytes(store, f"{folder}/{SUCCESS}", b"")
    old = None
    if replace and store.exists(target.path):
        old = hidden_sibling(target.path, "old")
        store.rename(target.path, old)
    store.rename(folder, target.path)
    if old:
        store.delete(old)


def generate(spark, plan: PartPlan, target: Target, *, replace: bool = False,
             executor_python: str | None = None) -> SparkResult:
    """Write `plan` as a folder of parts at `target` with the session's executors (see the
    module doc). The caller owns the session."""
    started = time.perf_counter()
    check_runnable(plan.dataset)
    check_target(target, replace)
    folder = hidden_sibling(target.path, "tmp")
    context = spark.sparkContext
    try:
        with tempfile.TemporaryDirectory(prefix="sdp-generator-") as scratch:
            if context.master.startswith("local"):
                # Local executors run here: this Python has the packages (pyspark would
                # start `python3` from PATH unless PYSPARK_PYTHON says otherwise).
                context.pythonExec = executor_python or sys.executable
            else:
                context.addPyFile(str(package_zip(Path(scratch))))
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
    return SparkResult(plan.total, target.uri, plan.parts, time.perf_counter() - started)


def run(plan: PartPlan, target: Target, master: str | None, *, replace: bool = False,
        executor_python: str | None = None) -> SparkResult:
    """The command line's way in: check what can be checked without Spark, then start a
    session for this run only."""
    from services.spark.session import build_session

    if master:
        check_master(master)
    check_runnable(plan.dataset)
    check_target(target, replace)
    spark = build_session(APP_NAME, master)
    try:
        return generate(spark, plan, target, replace=replace,
                        executor_python=executor_python)
    finally:
        spark.stop()

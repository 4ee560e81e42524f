"""The generator's Spark engine against the single process, in one run on one machine.

Prints rows/s for --rows rows (default 20M) made by: the single process with --workers 2,
the Spark engine in local[2], and the Spark engine on a standalone cluster started as the
tests start it (one worker, 2 cores); Spark's overhead as a ratio to the single process;
the peak RSS of the executor's processes (JVM, and the largest Python worker) at --rows and
at --big-rows (default 100M), which should stay flat; and --hdfs-rows (default 100M) written
by the cluster to an HDFS started as the tests start it, timed. Rates are the run as the
generator reports it (for Spark: from a started session to the committed folder, executors'
start included); the wall time adds interpreter and JVM start.

    .venv/bin/python benchmarks/generator_spark.py [--rows 20000000] [--big-rows 100000000]
        [--hdfs-rows 100000000] [--format csv|parquet] [--skip big,hdfs,cluster]

The machine may be shared: pass smaller sizes, or --skip, and say which sizes you ran.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.infra.hdfs import Hdfs  # noqa: E402
from services.infra.spark import Spark  # noqa: E402

CARD = REPO / "services/batch/schemas/card_transactions.json"
SCRIPT = REPO / "services/batch/generate_synthetic_data.py"
SKIPPABLE = ("cluster", "big", "hdfs")


class PeakRss:
    """Samples the processes under `roots` until stopped: the peak RSS of the executor JVM
    (or the local driver JVM that hosts local executors) and of the largest Python worker."""

    def __init__(self, roots: list[int], interval: float = 0.2):
        self.roots = roots
        self.interval = interval
        self.jvm = 0
        self.python = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()

    def _run(self) -> None:
        while not self.done.wait(self.interval):
            for proc in self._processes():
                try:
                    rss, line = proc.memory_info().rss, " ".join(proc.cmdline())
                except psutil.Error:
                    continue
                if "pyspark.daemon" in line or "pyspark/worker" in line:
                    self.python = max(self.python, rss)
                elif "CoarseGrainedExecutorBackend" in line or "SparkSubmit" in line:
                    self.jvm = max(self.jvm, rss)

    def _processes(self) -> list[psutil.Process]:
        found = []
        for pid in self.roots:
            try:
                root = psutil.Process(pid)
                found += [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
        return found

    def text(self) -> str:
        return (f"executor JVM {self.jvm / 2**20:,.0f} MB, "
                f"Python worker {self.python / 2**20:,.0f} MB")


@dataclass
class Run:
    label: str
    rows: int
    seconds: float  # as the generator reports it
    wall: float
    memory: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    def line(self) -> str:
        memory = f"; peak {self.memory}" if self.memory else ""
        return (f"{self.label:<34} {self.rows:>13,} rows {self.seconds:8.1f} s "
                f"{self.rate:>12,.0f} rows/s (wall {self.wall:.1f} s, load "
                f"{os.getloadavg()[0]:.1f}){memory}")


def generate(label: str, rows: int, args: list[str], roots: list[int] | None = None,
             ) -> Run:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1",
           "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--config", str(CARD), "--seed", "1",
                             "--n", str(rows), "--no-progress", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakRss(roots or [proc.pid]) as peak:  # the executors: under the worker, or local
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{label}: the generator failed ({proc.returncode}):\n{err[-2000:]}")
    seconds = float(re.search(r" in ([0-9.]+) s ", out).group(1))
    run = Run(label, rows, seconds, wall, peak.text() if "--engine" in args else "")
    print(run.line(), flush=True)
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--hdfs-rows", type=int, default=100_000_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--skip", default="", help=f"comma-separated: {', '.join(SKIPPABLE)}")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    if skip - set(SKIPPABLE):
        parser.error(f"--skip takes {', '.join(SKIPPABLE)}")
    fmt = ["--format", args.format]
    print(f"card schema, {args.format}, {os.cpu_count()} CPUs, default part size "
          "(16 blocks, 1,048,576 rows)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-gen-spark-") as scratch:
        tmp = Path(scratch)

        def spark_out(name: str) -> list[str]:
            folder = tmp / name
            shutil.rmtree(folder, ignore_errors=True)
            return ["--engine", "spark", "--out", str(folder), *fmt]

        single = generate("single process, --workers 2", args.rows,
                          ["--out", str(tmp / f"single.{args.format}"), "--workers", "2",
                           *fmt])
        (tmp / f"single.{args.format}").unlink()
        local = generate("spark engine, local[2]", args.rows,
                         [*spark_out("local"), "--spark-master", "local[2]"])
        shutil.rmtree(tmp / "local")
        runs = [single, local]
        if "cluster" not in skip:
            spark = Spark(tmp / "spark-engine", die_with_caller=True)
            status, _ = spark.start()
            try:
                master = status.details.master_url
                worker = [spark.records()["worker"].pid]
                runs.append(generate("spark engine, standalone (2 cores)", args.rows,
                                     [*spark_out("cluster"), "--spark-master", master], worker))
                shutil.rmtree(tmp / "cluster")
                if "big" not in skip:
                    runs.append(generate("spark engine, standalone, big", args.big_rows,
                                         [*spark_out("big"), "--spark-master", master], worker))
                    shutil.rmtree(tmp / "big")
                if "hdfs" not in skip:
                    hdfs = Hdfs(tmp / "hdfs-engine", die_with_caller=True)
                    details = hdfs.start()[0].details
                    try:
                        runs.append(generate(
                            "spark engine, standalone -> HDFS", args.hdfs_rows,
                            ["--engine", "spark", "--spark-master", master, *fmt,
                             "--out", f"{details.uri}/bench/card", "--webhdfs",
                             details.webhdfs_url], worker))
                    finally:
                        hdfs.stop()
            finally:
                spark.stop()
    print()
    for run in runs[1:]:
        print(f"Spark overhead, {run.label}: {single.rate / run.rate:.2f}x the single "
              f"process's time per row")
    return 0


if __name__ == "__main__":
    sys.exit(main())

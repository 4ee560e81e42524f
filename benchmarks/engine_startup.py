"""Time from `start` to ready for each local engine, in a fresh temp folder, then stopped.

    .venv/bin/python benchmarks/engine_startup.py [--repeat N] [kafka hdfs spark]

Prints one line per engine and run: the first start (storage formatted) and a restart of
the same state folder. Budget on the 2-core build machine: Kafka < 15 s, HDFS < 30 s,
Spark standalone < 30 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.infra import process
from services.infra.engine import Engine
from services.infra.hdfs import Hdfs
from services.infra.kafka import Kafka
from services.infra.spark import Spark

ENGINES: dict[str, tuple[Callable[[Path], Engine], float]] = {
    "kafka": (Kafka, 15.0),
    "hdfs": (Hdfs, 30.0),
    "spark": (Spark, 30.0),
}


def timed_start(engine: Engine) -> float:
    started = time.monotonic()
    engine.start()
    return time.monotonic() - started


def resident_mb(engine: Engine) -> int:
    """Resident memory of the engine's daemons (and their children) right after start."""
    total_kb = 0
    for record in engine.records().values():
        for pid in {record.pid, *(m.pid for m in process.members(record))}:
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                total_kb += int(next(x for x in status.splitlines()
                                     if x.startswith("VmRSS:")).split()[1])
    return total_kb // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engines", nargs="*", metavar="ENGINE",
                        help=f"any of {', '.join(ENGINES)} (default: all)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    unknown = sorted(set(args.engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"cpus: {os.cpu_count()}")
    over = False
    for name in args.engines or ENGINES:
        factory, budget = ENGINES[name]
        for run in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
                engine = factory(Path(tmp))
                try:
                    first = timed_start(engine)
                    engine.stop()
                    again = timed_start(engine)
                    rss = resident_mb(engine)
                finally:
                    engine.stop()
            over |= max(first, again) > budget
            print(f"{name:6} run {run}: ready in {first:5.1f} s (fresh), {again:5.1f} s "
                  f"(restart); budget {budget:.0f} s; resident {rss} MB", flush=True)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

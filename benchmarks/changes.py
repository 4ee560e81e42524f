"""Change events (--cdc) per second against the same lifecycle's rows per second, and peak
memory as the episode count grows.

Runs the generator command (one process, uncompressed, `--workers 1` unless told) on the
shipped lifecycle schemas twice per size: as rows (CSV) and as a change stream (JSON Lines
envelopes plus the final table), and prints each run's rate as the generator times it and
its peak RSS. An envelope holds its row twice (before and after) as JSON, so it is some 5x
a CSV row's bytes; the rate is that of building and writing those bytes column at a time.
Memory: as for lifecycle rows, the blocks in flight plus what is carried across a block
boundary (here envelopes, not rows); peak RSS should stay flat as N grows.

    .venv/bin/python benchmarks/changes.py [--episodes 100000,400000] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "services/batch/generate_synthetic_data.py"
SCHEMAS = REPO / "services/batch/schemas"


def run(args: list[str]) -> tuple[int, float, float]:
    """(rows or changes written, per second as the generator times it, peak RSS in MB)."""
    proc = subprocess.Popen([sys.executable, str(SCRIPT), *args, "--no-progress"],
                            stdout=subprocess.PIPE, text=True)
    summary = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"generator failed with status {status}")
    match = re.search(r"wrote ([0-9,]+) (?:rows|changes) .* in ([0-9.]+) s ", summary)
    count, seconds = int(match.group(1).replace(",", "")), float(match.group(2))
    return count, count / seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", default="100000,400000")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    for name in ("retail_order_lifecycle", "clickstream"):
        for n in (int(x) for x in args.episodes.split(",")):
            folder = Path(tempfile.mkdtemp())
            try:
                common = ["--config", str(SCHEMAS / f"{name}.json"), "--n", str(n),
                          "--workers", str(args.workers)]
                rows, rate, rss = run([*common, "--out", str(folder / "rows.csv")])
                changes, crate, crss = run([*common, "--cdc", "--output-dir", str(folder)])
            finally:
                shutil.rmtree(folder)
            print(f"{name:24} {n:>9,} episodes | rows {rows:>10,} {rate:>10,.0f}/s peak "
                  f"{rss:>5.0f} MB | changes {changes:>10,} {crate:>9,.0f}/s peak {crss:>5.0f}"
                  f" MB | {crate / rate:.0%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

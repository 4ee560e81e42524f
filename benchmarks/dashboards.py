"""Dashboard API latency: p50/p95 over N requests per endpoint, warm and cold.

Data: 2 years of daily batch output (every combination of the card schema's dimension
values, every day: 730 x 6 x 3 x 9 = 118,260 aggregate rows) and 50,000 streaming window
rows (50 groups x 1,000 windows, in 250 micro-batch files with a compacted sink log), served
by both apps over real HTTP on 127.0.0.1 (werkzeug, threaded).

- warm: nothing changed since the previous request (the normal polling case);
- cold: the first request after every output file changed, so every cached read and payload
  is rebuilt (batch: the CSVs are parsed again);
- streaming also "new batch": the sink log moved but committed Parquet files are still
  cached, what the page sees after each micro-batch; its "cold" clears every cache.

Targets: warm p95 < 20 ms, cold p95 < 500 ms.

    .venv/bin/python benchmarks/dashboards.py [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dashboard import create_app as create_batch_app  # noqa: E402
from services.common.files import write_json_atomic  # noqa: E402
from services.outputs import StreamOutputs  # noqa: E402
from streaming_dashboard import create_app as create_stream_app  # noqa: E402
from tests.dashboards.fixtures import (  # noqa: E402
    CARD_VALUES,
    STREAM_START,
    batch_frame,
    card_columns,
    live_payload,
    status_payload,
    window_frame,
    write_batch_outputs,
    write_metadata_log,
    write_sink,
)
from tests.dashboards.server import LiveServer  # noqa: E402

BATCH_ROUTES = ("meta", "kpis", "trend", "segments", "breakdown?dimension=merchant_cat",
                "rows", "quality")
STREAM_ROUTES = ("meta", "timeline", "leaderboard", "windows", "stream")
WARM_P95_MS, COLD_P95_MS = 20.0, 500.0
GROUPS, WINDOWS, FILES = 50, 1000, 250


def fetch_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if b'"status":"ok"' not in body:
        raise SystemExit(f"{url} did not answer ok: {body[:300]!r}")
    return elapsed


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def measure(url: str, requests: int, before: Callable[[], None] | None = None) -> list[float]:
    if before is None:
        fetch_ms(url)  # prime the cache once
    samples = []
    for _ in range(requests):
        if before is not None:
            before()
        samples.append(fetch_ms(url))
    return samples


class Toucher:
    """Moves the modification time of files forward by a step each call: a file change as
    the dashboards see it, without rewriting the data."""

    def __init__(self, paths: list[Path]):
        self.paths = paths
        self.tick = time.time_ns()

    def __call__(self) -> None:
        self.tick += 1_000_000
        for path in self.paths:
            os.utime(path, ns=(self.tick, self.tick))


def build_batch(root: Path) -> Path:
    columns = card_columns()
    csv_dir = root / "analysis_csv"
    frame = batch_frame(columns, CARD_VALUES, days=730)
    write_batch_outputs(csv_dir, frame, columns)
    print(f"batch: {len(frame):,} aggregate rows, "
          f"{sum(p.stat().st_size for p in csv_dir.glob('part-*')) / 1e6:.1f} MB of CSV")
    return csv_dir


def build_stream(root: Path) -> StreamOutputs:
    sink = root / "streaming_product_revenue"
    groups = [f"Product {i:02d}" for i in range(GROUPS)]
    frame = window_frame(groups, WINDOWS)
    per_file = len(frame) // FILES
    files = write_sink(sink, [frame.iloc[i:i + per_file] for i in range(0, len(frame), per_file)])
    log_dir = sink / "_spark_metadata"
    compact_upto = len(files) - 10  # Spark compacts the log every 10 batches
    write_metadata_log(log_dir, compact_upto - 1, files[:compact_upto], compact=True)
    for batch in range(compact_upto - 1):
        (log_dir / str(batch)).unlink()
    outputs = StreamOutputs(sink)
    live = window_frame(groups, 4, start=STREAM_START + timedelta(minutes=15 * WINDOWS))
    write_json_atomic(outputs.live_file, live_payload(live))
    write_json_atomic(outputs.status_file, status_payload())
    print(f"streaming: {len(frame):,} window rows in {len(files)} Parquet files, "
          f"{len(live):,} open windows")
    return outputs


def report(title: str, rows: list[tuple[str, str, list[float]]]) -> list[str]:
    print(f"\n{title}\n{'endpoint':<36}{'mode':<11}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    misses = []
    for route, mode, samples in rows:
        p50, p95 = percentiles(samples)
        target = WARM_P95_MS if mode == "warm" else COLD_P95_MS
        flag = "" if p95 < target else f"  MISSES {target:.0f} ms"
        if flag:
            misses.append(f"{title} {route} {mode}")
        print(f"{route:<36}{mode:<11}{p50:>9.1f}{p95:>9.1f}{max(samples):>9.1f}{flag}")
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    n = args.requests
    misses: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dashboards-bench-") as temp:
        root = Path(temp)
        csv_dir = build_batch(root)
        outputs = build_stream(root)
        env = {"OUT_LOCAL_CSV": str(csv_dir), "OUTPUT_PATH": str(outputs.parquet_dir)}

        batch_app = create_batch_app(env)
        batch_files = [p for folder in (csv_dir, csv_dir.with_name("analysis_csv_kpis"))
                       for p in folder.glob("part-*")]
        batch_files.append(csv_dir.with_name("analysis_csv_quality.json"))
        with LiveServer(batch_app) as server:
            rows = []
            for route in BATCH_ROUTES:
                url = f"{server.url}api/{route}"
                rows.append((route, "warm", measure(url, n)))
                rows.append((route, "cold", measure(url, n, Toucher(batch_files))))
            misses += report("batch dashboard", rows)

        stream_app = create_stream_app(env)
        store = stream_app.extensions["streaming"].store
        log_files = sorted((outputs.parquet_dir / "_spark_metadata").iterdir())
        new_batch = Toucher([log_files[-1], outputs.live_file, outputs.status_file])

        def cold() -> None:
            new_batch()
            store.clear()

        with LiveServer(stream_app) as server:
            rows = []
            for route in STREAM_ROUTES:
                url = f"{server.url}api/{route}"
                rows.append((route, "warm", measure(url, n)))
                rows.append((route, "new batch", measure(url, n, new_batch)))
                rows.append((route, "cold", measure(url, n, cold)))
            misses += report("streaming dashboard", rows)

    print(f"\ntargets: warm p95 < {WARM_P95_MS:.0f} ms, cold p95 < {COLD_P95_MS:.0f} ms: "
          + ("all met" if not misses else "missed by " + ", ".join(misses)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Schema inference: time over a large sample, and fidelity of data generated from the
inferred file.

For each sample schema (the two shipped ones, the card schema with empty values in a few
fields, and flight delays whose numbers fit no family), generates ROWS rows, infers a
schema from them (reading and inference timed, as the command line does them), generates
ROWS rows from the inferred file with another seed, and compares the two extracts.
Targets: inference < 10 s over 1M rows; per column total variation <= 0.02, KS <= 0.05,
hour-of-day profile correlation >= 0.95, null rates within 0.005. Then the time to draw
ROWS floats from each distribution, the empirical one among them.

    .venv/bin/python benchmarks/infer_schema.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.commands import generate  # noqa: E402
from services.generator import generate_table  # noqa: E402
from services.infer.compare import compare  # noqa: E402
from services.infer.infer import infer_schema  # noqa: E402
from services.infer.samples import read_samples  # noqa: E402
from services.infer.schema_out import render  # noqa: E402
from services.schema import parse_schema  # noqa: E402

SCHEMAS = REPO / "services/batch/schemas"
NULLS = {"city": 0.02, "amount": 0.05, "is_chip": 0.01}
# Shapes no family fits (long-tailed delays, two-humped fares), epoch and strftime times.
DELAYS = {
    "seed": 3,
    "time_window": {"start": "2025-06-01T00:00:00", "end": "2025-06-30T23:59:59"},
    "schema": {"fields": [
        {"name": "flight", "type": "string", "pattern": "N{10000-99999}{A-Z}"},
        {"name": "departed", "type": "datetime", "format": "epoch_ms", "mode": "seasonality",
         "profile": {"hour_of_day": {"0": 0.1, "1": 0.1, "2": 0.1, "3": 0.1, "4": 0.2,
                                     "6": 2, "7": 2, "8": 2, "17": 2, "18": 2, "_default": 1}}},
        {"name": "local_date", "type": "datetime", "format": "%d/%m/%Y %H:%M"},
        {"name": "carrier", "type": "category", "null_prob": 0.01,
         "choices": [{"value": "AA", "weight": 5}, {"value": "DL", "weight": 4},
                     {"value": "UA", "weight": 3}, {"value": "WN", "weight": 6}]},
        {"name": "delay_min", "type": "int", "distribution": "empirical",
         "quantiles": [-20, -8, -5, -3, -1, 0, 2, 6, 15, 40, 400]},
        {"name": "fare", "type": "float", "distribution": "empirical", "decimals": 2,
         "quantiles": [39, 59, 69, 79, 89, 99, 249, 299, 349, 399, 1200]},
        {"name": "cancelled", "type": "bool", "p_true": 0.02},
    ]},
}


def sample_schemas(folder: Path) -> dict[str, Path]:
    card = json.loads((SCHEMAS / "card_transactions.json").read_text())
    for spec in card["schema"]["fields"]:
        if spec["name"] in NULLS:
            spec["null_prob"] = NULLS[spec["name"]]
    card["schema"]["fields"] = [f for f in card["schema"]["fields"] if f["name"] != "key"]
    with_nulls = folder / "card_with_nulls.json"
    with_nulls.write_text(json.dumps(card))
    delays = folder / "flight_delays.json"
    delays.write_text(json.dumps(DELAYS))
    return {"card_transactions": SCHEMAS / "card_transactions.json",
            "retail_orders": SCHEMAS / "retail_orders.json", "card_with_nulls": with_nulls,
            "flight_delays": delays}


def make(config: Path, out: Path, rows: int, seed: int) -> Path:
    args = ["--config", str(config), "--out", str(out), "--n", str(rows), "--seed", str(seed),
            "--workers", "2", "--no-progress", "--log-level", "WARNING"]
    if generate(args) != 0:
        raise SystemExit(f"generating from {config} failed")
    return out


def run(name: str, config: Path, rows: int, folder: Path) -> bool:
    real = make(config, folder / f"{name}.csv", rows, 1)
    started = time.perf_counter()
    doc = infer_schema(read_samples([real]))
    seconds = time.perf_counter() - started
    inferred = folder / f"{name}.inferred.json"
    inferred.write_text(render(doc) + "\n")
    synthetic = make(inferred, folder / f"{name}.synthetic.csv", rows, 2)
    summary = compare(read_samples([real]), read_samples([synthetic]))["summary"]
    ok = seconds < 10 and summary["ok"]
    print(f"{name:<18} {rows:>10,} {seconds:>7.2f} s  {_f(summary['max_tv'])}  "
          f"{_f(summary['max_ks'])}  {_f(summary['min_hour_r'], 3)}  "
          f"{_f(summary['max_null_diff'])}  {summary['within_targets']}/{summary['columns']}"
          f"  {'yes' if ok else 'NO'}")
    for path in (real, synthetic):
        path.unlink()
    return ok


def draw_speeds(rows: int) -> None:
    """Milliseconds to make `rows` floats of each distribution (best of 5), so an empirical
    table can be seen to draw as fast as the families."""
    families = {"uniform": {}, "normal": {}, "lognormal": {"mean": 3, "stddev": 1},
                "exponential": {}, "empirical": {"quantiles": [float(q) for q in range(101)]}}
    cells = []
    for family, params in families.items():
        spec = {"name": "x", "type": "float", "distribution": family, "decimals": 2, **params}
        dataset = parse_schema({"schema": {"fields": [spec]}})
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            generate_table(dataset, 1, rows)
            best = min(best, time.perf_counter() - started)
        cells.append(f"{family} {best * 1000:.0f} ms")
    print(f"drawing {rows:,} floats: " + ", ".join(cells))


def _f(value: float | None, digits: int = 4) -> str:
    return f"{value:>8.{digits}f}" if value is not None else f"{'-':>8}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"{'sample':<18} {'rows':>10} {'infer':>9}  {'max TV':>8}  {'max KS':>8}  "
          f"{'hour r':>8}  {'null':>8}  cols  ok")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = [run(name, config, args.rows, folder)
                   for name, config in sample_schemas(folder).items()]
    print("targets: infer < 10 s, TV <= 0.02, KS <= 0.05, hour r >= 0.95, null diff <= 0.005")
    draw_speeds(args.rows)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

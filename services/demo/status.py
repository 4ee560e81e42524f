"""Short human summaries of the demo's outputs, read from the files the jobs wrote."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from services.demo.layout import Layout
from services.outputs import WINDOW_START, BatchOutputs, StreamOutputs
from services.schema import load_schema


def _kpis(layout: Layout) -> dict[str, str] | None:
    parts = sorted(BatchOutputs(layout.batch_csv).kpis_dir.glob("part-*.csv"))
    if not parts:
        return None
    with parts[0].open(newline="") as handle:
        return next(csv.DictReader(handle), None)


def batch_summary(layout: Layout, schema: Path) -> str:
    analysis = load_schema(schema).analysis
    kpis = _kpis(layout)
    if kpis is None:
        return "demo: the batch job wrote no KPIs"
    text = f"demo: batch done: {int(kpis['record_count']):,} records"
    metric = analysis.headline
    if metric is not None:
        figure, word = ("avg", "average") if metric.agg == "mean" else ("sum", "total")
        value = float(kpis.get(f"{figure}_{metric.name}") or 0)
        text += f", {metric.name} {word} {value:,.2f}" + (
            f" {analysis.currency}" if metric.money and analysis.currency else "")
    return text


def status_line(layout: Layout) -> str:
    now = datetime.now().strftime("%H:%M:%S")
    files = StreamOutputs(layout.stream_output)
    try:
        status = json.loads(files.status_file.read_text())
    except (OSError, ValueError):
        return f"{now} stream: waiting for the first micro-batch"
    try:
        rows = json.loads(files.live_file.read_text())["windows"]
        open_windows = len({row[WINDOW_START] for row in rows})  # a row per window x group
    except (OSError, ValueError, KeyError, TypeError):
        open_windows = 0
    line = (f"{now} stream: batch {status['batch_id']}, {status['input_rows']:,} events "
            f"({status['input_rows_per_second']:,.0f}/s), {open_windows} open windows, "
            f"{status['rows_dropped_late']} late, lag {status['lag_messages']}")
    ledger = status.get("ledger")
    if isinstance(ledger, dict) and "read" in ledger:
        line += (f"; since the start {ledger['read']:,} read, {ledger['duplicates']:,} "
                 f"duplicates, {ledger['late']:,} late, {ledger['quarantined']:,} quarantined"
                 + ("" if ledger.get("balanced") else " (the ledger does not balance)"))
    return line

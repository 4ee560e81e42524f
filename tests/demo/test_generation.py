"""How `make demo` generates: one extract up to a million rows, Spark part files above, and
the input folder left holding this run's data only (the batch job reads all of it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from services.commands import demo
from services.common.paths import REPO_ROOT
from services.demo import cli
from services.demo.layout import Layout
from services.outputs import BatchOutputs
from tests.schemas import CARD


def options(tmp_path: Path, rows: int | None) -> cli.Options:
    return cli.Options(CARD, rows, 10.0, 60.0, "10 seconds", tmp_path, 0.0, True)


def layout_with_leftovers(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path)
    layout.prepare()
    (layout.input / "card_transactions.csv").write_text("a\n1\n")
    (layout.input / "notes.txt").write_text("mine")
    for folder in ("card_transactions", ".orders.tmp-0a1b"):
        (layout.input / folder).mkdir()
        (layout.input / folder / "part-00000.csv").write_text("a\n1\n")
    return layout


def test_above_a_million_rows_spark_writes_a_parts_folder(tmp_path):
    layout = layout_with_leftovers(tmp_path)
    args = cli.generator_args(options(tmp_path, cli.SPARK_ROWS + 1), layout)
    assert args[args.index("--engine") + 1] == "spark"
    assert args[args.index("--out") + 1] == str(layout.input / "card_transactions")
    assert args[args.index("--n") + 1] == str(cli.SPARK_ROWS + 1)
    assert sorted(p.name for p in layout.input.iterdir()) == [".gitkeep", "notes.txt"]


def test_up_to_a_million_rows_one_extract_as_before(tmp_path):
    layout = layout_with_leftovers(tmp_path)
    args = cli.generator_args(options(tmp_path, cli.SPARK_ROWS), layout)
    assert "--engine" not in args
    assert args[args.index("--output-dir") + 1] == str(layout.input)
    assert "--clear-output" in args
    assert sorted(p.name for p in layout.input.iterdir()) == [
        ".gitkeep", "card_transactions.csv", "notes.txt"]


def test_without_rows_the_schema_count_decides(tmp_path):
    args = cli.generator_args(options(tmp_path, None), layout_with_leftovers(tmp_path))
    assert "--engine" not in args and "--n" not in args


@pytest.mark.spark
@pytest.mark.slow
def test_the_batch_job_reads_the_folder_the_spark_engine_wrote(tmp_path, monkeypatch):
    """The demo's big-run path end to end, with a lower threshold: generator (Spark, local
    mode) into data/input/<schema>/, then the batch job on data/input counts every row."""
    monkeypatch.setattr(cli, "SPARK_ROWS", 100_000)
    layout = Layout(tmp_path)
    layout.prepare()
    args = cli.generator_args(options(tmp_path, 140_000), layout)
    env = {**layout.env(), "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(REPO_ROOT)}
    script = REPO_ROOT / "services/batch/generate_synthetic_data.py"
    done = subprocess.run([sys.executable, str(script), *args, "--seed", "3", "--part-blocks",
                           "1"], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in (layout.input / "card_transactions").glob("part-*")) == [
        "part-00000.csv", "part-00001.csv", "part-00002.csv"]
    batch = subprocess.run([sys.executable, str(REPO_ROOT / "services/batch/pipeline_batch.py")],
                           env={**layout.batch_env(CARD), **env}, capture_output=True,
                           text=True, timeout=400, check=False)
    assert batch.returncode == 0, batch.stderr[-3000:]
    kpis = sorted(BatchOutputs(layout.batch_csv).kpis_dir.glob("part-*.csv"))
    assert pd.read_csv(kpis[0])["record_count"].tolist() == [140_000]


def test_the_demo_refuses_a_schema_a_run_would_refuse_before_starting_anything(tmp_path, capsys):
    config = tmp_path / "afternoon.json"
    config.write_text('{"time_window": {"start": "2025-01-07T13:00:00", "end": '
                      '"2025-01-07T17:00:00"}, "schema": {"fields": [{"name": "at", "type": '
                      '"datetime", "mode": "seasonality", "profile": {"hour_of_day": '
                      '{"_default": 0, "3": 5}}}]}}')
    work = tmp_path / "work"
    work.mkdir()
    assert demo(["--schema", str(config), "--workdir", str(work), "--any-ports"]) == 2
    assert "schema.fields[0].profile: every hour inside time_window" in capsys.readouterr().err
    assert list(work.iterdir()) == []

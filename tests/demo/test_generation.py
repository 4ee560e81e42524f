"""How `make demo` generates: one extract up to a million rows, Spark part files above, and
the input folder left holding this run's data only (the batch job reads all of it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard import create_app
from services.commands import demo, generate
from services.common.paths import REPO_ROOT
from services.demo import cli
from services.demo.layout import Layout
from services.extracts import local_extracts
from services.outputs import BatchOutputs
from tests.dashboards.fixtures import get
from tests.schemas import CARD, RETAIL


def options(tmp_path: Path, rows: int | None) -> cli.Options:
    return cli.Options(CARD, rows, 10.0, 60.0, "10 seconds", tmp_path, 0.0, True)


def layout_with_leftovers(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path)
    layout.prepare()
    (layout.input / "card_transactions.csv").write_text("a\n1\n")
    (layout.input / "retail_orders.jsonl.gz").write_text("a\n1\n")
    (layout.input / "notes.txt").write_text("mine")
    (layout.input / "card_transactions").mkdir()
    (layout.input / "card_transactions" / "part-00000.csv").write_text("a\n1\n")
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
    assert "--clear-output" in args  # the generator clears what earlier runs left, once done
    assert sorted(p.name for p in layout.input.iterdir()) == [
        ".gitkeep", "card_transactions", "card_transactions.csv", "notes.txt",
        "retail_orders.jsonl.gz"]


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


@pytest.mark.spark
@pytest.mark.slow
def test_a_demo_switched_between_schemas_shows_only_the_last_runs_rows(tmp_path):
    """`make demo`, then the card schema with JSONL output, then the retail schema: each
    demo's generation step leaves only its own extract, so the batch job and its dashboard
    count the last run's rows, none twice and none dropped as another schema's."""
    card_jsonl = tmp_path / "card_jsonl.json"
    schema = json.loads(CARD.read_text())
    schema["output"] = {"format": "jsonl", "gzip": True}
    card_jsonl.write_text(json.dumps(schema))
    work = tmp_path / "work"
    layout = Layout(work)
    layout.prepare()
    for config, rows in ((CARD, 300), (card_jsonl, 200), (RETAIL, 120)):
        chosen = cli.Options(config, rows, 10.0, 60.0, "10 seconds", work, 0.0, True)
        assert generate(cli.generator_args(chosen, layout)) == 0
    assert local_extracts(layout.input) == [layout.input / "retail_orders.csv"]
    assert not (layout.input / "_entities").exists()  # the card tables went with the cards
    env = {**layout.batch_env(RETAIL), "PYSPARK_PYTHON": sys.executable,
           "PYTHONPATH": str(REPO_ROOT)}
    batch = subprocess.run([sys.executable, str(REPO_ROOT / "services/batch/pipeline_batch.py")],
                           env=env, capture_output=True, text=True, timeout=400, check=False)
    assert batch.returncode == 0, batch.stderr[-3000:]
    client = create_app({"OUT_LOCAL_CSV": str(layout.batch_csv),
                         "SCHEMA_CONFIG_PATH": str(RETAIL)}).test_client()
    assert get(client, "/api/kpis")["records"] == 120
    quality = get(client, "/api/quality")
    assert quality["rows_read"] == 120 and quality["rows_dropped_total"] == 0


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

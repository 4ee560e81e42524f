"""The batch job against the real HDFS daemons and submitted to the real Spark cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hdfs import InsecureClient

from services.common.paths import REPO_ROOT as REPO
from services.infra.net import get_json
from services.outputs import BatchOutputs
from services.schema import load_schema
from tests.polling import poll
from tests.schemas import CARD, write_extract
from tests.spark.batch.recompute import (
    KEYS,
    expected_aggregates,
    read_part_csv,
    run_job,
    settings_for,
)

SCRIPT = REPO / "services/batch/pipeline_batch.py"


@pytest.mark.hdfs
@pytest.mark.spark
def test_use_hdfs_reads_and_writes_hdfs(spark, hdfs_cluster, folders):
    tmp, inputs = folders
    local = [write_extract(load_schema(CARD), inputs, "card", 4, 6_000),
             write_extract(load_schema(CARD), inputs, "more", 5, 1_000, gz=True)]
    client = InsecureClient(hdfs_cluster.webhdfs_url, user="root")
    base = f"/runs/{uuid.uuid4().hex[:8]}"
    for path in local:
        client.upload(f"{base}/input/{path.name}", str(path))
    assert sorted(client.list(f"{base}/input")) == sorted(p.name for p in local)

    settings = settings_for(tmp, inputs, USE_HDFS="true",
                            INPUT_PATH=f"{hdfs_cluster.uri}{base}/input",
                            OUT_PARQUET=f"{hdfs_cluster.uri}{base}/output/analysis_parquet")
    assert settings.use_hdfs and settings.input_path.startswith("hdfs://")
    assert run_job(spark, settings) == 0

    expected, _, _ = expected_aggregates(local)
    written = client.list(f"{base}/output/analysis_parquet")
    assert len([d for d in written if d.startswith("event_time_date=")]) == 7
    back = spark.read.parquet(settings.out_parquet).toPandas()
    back["event_time_date"] = back["event_time_date"].astype(str)
    merged = expected.merge(back, on=KEYS)
    assert len(merged) == len(expected) == len(back)
    assert ((merged["sum_amount"] * 100).round() == merged["sum_cents"]).all()
    kpis = read_part_csv(BatchOutputs(Path(settings.out_local_csv)).kpis_dir)
    assert kpis["record_count"].tolist() == [7_000]


def run_script(env: dict[str, str], timeout: float = 400) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1",
            **env}
    return subprocess.run([sys.executable, str(SCRIPT)], env=full, capture_output=True,
                          text=True, timeout=timeout, check=False)


def settings_env(tmp: Path, inputs: Path) -> dict[str, str]:
    return {"SCHEMA_CONFIG_PATH": str(CARD), "INPUT_PATH": str(inputs),
            "OUT_PARQUET": str(tmp / "out/analysis_parquet"),
            "OUT_LOCAL_CSV": str(tmp / "out/analysis_csv"), "INPUT_WAIT_SECONDS": "5"}


@pytest.mark.spark_cluster
@pytest.mark.slow
def test_script_submitted_to_the_standalone_cluster(spark_cluster, folders):
    tmp, inputs = folders
    paths = [write_extract(load_schema(CARD), inputs, "card", 8, 4_000)]
    done = run_script({**settings_env(tmp, inputs), "SPARK_MASTER": spark_cluster.master_url,
                       "SPARK_EVENT_LOG_DIR": spark_cluster.event_log_dir})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "batch job done" in done.stderr
    expected, _, _ = expected_aggregates(paths)
    got = read_part_csv(tmp / "out/analysis_csv")
    assert got["record_count"].sum() == 4_000 and len(got) == len(expected)
    apps = get_json(f"{spark_cluster.master_ui_url}/json/")["completedapps"]
    assert "batch.schema_driven_pipeline" in {app["name"] for app in apps}
    # The job's own session settings wrote the event log the history server lists.
    history = f"{spark_cluster.history_ui_url}/api/v1/applications"
    poll("the batch job in the history server", lambda: any(
        a["name"] == "batch.schema_driven_pipeline" for a in get_json(history) or []))


@pytest.mark.slow
def test_script_exits_1_naming_a_missing_timestamp_column(folders):
    tmp, inputs = folders
    (inputs / "x.csv").write_text("city,amount\nParis,3.5\n")
    done = run_script(settings_env(tmp, inputs))
    assert done.returncode == 1
    assert "'event_time'" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_corrupt_gzip_among_good_extracts_is_one_error_line_naming_it(folders):
    """The run fails (README: a corrupt extract is not skipped) with one line naming the
    file, not Spark's task failures with their Java stack traces."""
    tmp, inputs = folders
    for name in ("a", "b"):
        write_extract(load_schema(CARD), inputs, name, 1, 2_000, gz=True)
    data = (inputs / "b.csv.gz").read_bytes()
    (inputs / "broken.csv.gz").write_bytes(data[: len(data) // 2])
    done = run_script(settings_env(tmp, inputs))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines()
              if "ERROR" in line or "Exception" in line or line.startswith("\tat ")]
    assert len(errors) == 1, done.stderr
    assert errors[0].endswith(f"batch job failed: file:{inputs / 'broken.csv.gz'}: "
                              "cannot be read (java.io.EOFException: Unexpected end of input "
                              "stream); remove or replace it, then run again")


def test_bad_setting_exits_2_naming_the_variable(folders):
    tmp, inputs = folders
    done = run_script({**settings_env(tmp, inputs), "USE_HDFS": "sometimes"}, timeout=60)
    assert done.returncode == 2
    assert "USE_HDFS='sometimes' is not usable: expected a boolean" in done.stderr

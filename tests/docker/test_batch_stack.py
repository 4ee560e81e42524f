"""The batch stack for real: from an empty data folder, generator -> HDFS -> Spark standalone
(two workers) -> dashboard, and the numbers on the dashboard equal a pandas recomputation of
the extract the stack generated."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.batch.conftest import expected_aggregates
from tests.docker.stacks import Stack, running

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]
ROWS = 30000


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture(scope="module")
def batch(sdp_image: str, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    with running("batch", tmp_path_factory.mktemp("batch-stack"), "dashboard",
                 ROWS=ROWS) as stack:
        yield stack


def test_kpis_equal_a_recomputation_of_the_generated_extract(batch: Stack) -> None:
    extracts = sorted((batch.folder("DATA_DIR") / "input").glob("*.csv"))
    assert [p.name for p in extracts] == [f"{batch.settings['DATASET_SCHEMA']}.csv"]
    _, totals, invalid = expected_aggregates(extracts)
    assert invalid == 0 and int(totals["record_count"]) == ROWS
    kpis = get_json(batch.url("DASHBOARD_PORT", "/api/kpis"))
    assert kpis["status"] == "ok", kpis
    data = kpis["data"]
    assert data["records"] == ROWS
    assert data["metric"]["name"] == "amount"
    assert data["metric"]["sum"] == pytest.approx(totals["sum_cents"] / 100, abs=0.005)
    flags = {f["name"]: f for f in data["flags"]}
    for flag in ("is_international", "is_chip", "is_contactless", "label_fraud"):
        assert flags[flag]["count"] == int(totals[f"count_{flag}"]), flag


def test_parquet_output_is_on_hdfs(batch: Stack) -> None:
    base = batch.url("NAMENODE_UI_PORT", "/webhdfs/v1/data/output/analysis_parquet")
    listing = get_json(f"{base}?op=LISTSTATUS")["FileStatuses"]["FileStatus"]
    names = {entry["pathSuffix"] for entry in listing}
    assert "_SUCCESS" in names
    days = sorted(n for n in names if n.startswith("event_time_date="))
    assert days, names
    loaded = get_json(batch.url("NAMENODE_UI_PORT", "/webhdfs/v1/data/input?op=LISTSTATUS"))
    assert [e["pathSuffix"] for e in loaded["FileStatuses"]["FileStatus"]] == [
        f"{batch.settings['DATASET_SCHEMA']}.csv"]


def test_history_server_lists_the_batch_job(batch: Stack) -> None:
    apps = get_json(batch.url("SPARK_HISTORY_PORT", "/api/v1/applications"))
    assert "batch.schema_driven_pipeline" in {app["name"] for app in apps}
    assert batch.exit_code("spark-app") == 0


def test_files_in_the_bind_mounts_belong_to_the_host_user(batch: Stack) -> None:
    data = batch.folder("DATA_DIR")
    written = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.suffix == ".csv" and "output" in p.parts for p in written)
    owners = {p.stat().st_uid for p in written}
    owners |= {p.stat().st_uid for p in batch.folder("HDFS_DIR").rglob("*")}
    owners |= {p.stat().st_uid for p in batch.folder("SPARK_EVENTS_DIR").rglob("*")}
    assert owners == {batch.uid}


@pytest.mark.parametrize("schema", ["no_such_schema", "../../../pyproject"])
def test_a_bad_dataset_schema_ends_the_generator_with_one_clear_line(batch: Stack,
                                                                     schema: str) -> None:
    before = sorted((batch.folder("DATA_DIR") / "input").iterdir())
    done = batch.run("run", "--rm", "--no-deps", "-T", "data-generator",
                     env={"DATASET_SCHEMA": schema})
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    errors = [line for line in output.splitlines() if "error:" in line]
    assert len(errors) == 1 and schema.rsplit("/", 1)[-1] in errors[0], output
    assert "Traceback" not in output
    assert sorted((batch.folder("DATA_DIR") / "input").iterdir()) == before

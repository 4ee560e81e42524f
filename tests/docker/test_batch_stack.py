"""The batch stack for real: from an empty data folder, generator -> HDFS -> Spark standalone
(two workers) -> dashboard, and the numbers on the dashboard equal a pandas recomputation of
the extract the stack generated."""

from __future__ import annotations

import io
import json
import urllib.request
from typing import Any

import pandas as pd
import pytest

from tests.docker.stacks import Stack, running
from tests.polling import poll
from tests.spark.batch.recompute import expected_aggregates

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


# Run inside the stack's network: WebHDFS redirects reads to the DataNode by its host name.
READ_PARQUET_FROM_HDFS = """
import io, sys
import pyarrow.parquet as pq
from hdfs import InsecureClient
client = InsecureClient("http://namenode:9870")
root = "/data/output/analysis_parquet"
frames = []
for day in sorted(d for d in client.list(root) if d.startswith("event_time_date=")):
    for name in sorted(n for n in client.list(f"{root}/{day}") if n.endswith(".parquet")):
        with client.read(f"{root}/{day}/{name}") as reader:
            frame = pq.read_table(io.BytesIO(reader.read())).to_pandas()
        frames.append(frame.assign(event_time_date=day.split("=", 1)[1]))
import pandas as pd
pd.concat(frames).to_json(sys.stdout, orient="records")
"""


def test_parquet_on_hdfs_equals_a_recomputation(batch: Stack) -> None:
    def listing(path: str) -> list[str]:
        answer = get_json(batch.url("NAMENODE_UI_PORT", f"/webhdfs/v1{path}?op=LISTSTATUS"))
        return sorted(e["pathSuffix"] for e in answer["FileStatuses"]["FileStatus"])

    schema = batch.settings["DATASET_SCHEMA"]
    assert listing("/data/input") == ["_entities", f"{schema}.csv"]  # the tables come along
    local = sorted(p.name for p in (batch.folder("DATA_DIR") / "input" / "_entities").iterdir())
    assert listing("/data/input/_entities") == local and local
    done = batch.run("run", "--rm", "--no-deps", "-T", "hdfs-load",
                     "python", "-c", READ_PARQUET_FROM_HDFS)
    assert done.returncode == 0, done.stderr[-3000:]
    back = pd.read_json(io.StringIO(done.stdout), orient="records", dtype={"event_time_date": str})
    expected, _, _ = expected_aggregates(sorted((batch.folder("DATA_DIR") / "input").glob("*.csv")))
    keys = ["event_time_date", "city", "channel", "merchant_cat"]
    merged = expected.merge(back, on=keys, suffixes=("", "_parquet"))
    assert len(merged) == len(expected) == len(back)
    assert (merged["record_count"] == merged["record_count_parquet"]).all()
    assert ((merged["sum_amount"] * 100).round() == merged["sum_cents"]).all()


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


def test_a_failed_job_fails_up_wait_and_shows_on_the_dashboard(batch: Stack) -> None:
    """The batch job fails after it started (no extracts where it is told to look): `up
    --wait dashboard` fails naming the job, and the dashboard runs all the same and says the
    job failed and why. Last in this module: the stack keeps the failed run."""
    meta = batch.url("DASHBOARD_PORT", "/api/meta")
    override = batch.root / "no-input.yml"
    override.write_text("services:\n  spark-app:\n    environment:\n"
                        "      INPUT_PATH: hdfs://namenode:8020/data/nowhere\n"
                        "      INPUT_WAIT_SECONDS: '0'\n")
    assert batch.run("rm", "--stop", "--force", "spark-app", "dashboard").returncode == 0
    done = batch.run("-f", str(override), "up", "-d", "--wait", "--wait-timeout", "300",
                     "dashboard", timeout=360)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "spark-app" in output.splitlines()[-1], output
    assert batch.exit_code("spark-app") == 1
    assert "Traceback" not in batch.logs("spark-app")
    state = json.loads((batch.folder("DATA_DIR") / "output" / "analysis_csv_status.json")
                       .read_text())
    assert state["state"] == "failed" and "/data/nowhere" in state["error"], state
    assert batch.exit_code("dashboard") is None  # running
    job = poll("the dashboard's answer", lambda: get_json(meta)["data"]["job"],
               timeout=120, interval=1, ignoring=(OSError, ValueError))
    assert job["state"] == "failed" and job["error"] == state["error"], job

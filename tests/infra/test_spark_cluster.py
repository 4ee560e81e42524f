"""The Spark standalone fixture is a real cluster: a job submitted to its master runs on the
worker's executor and then shows up in the history server's REST API."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.common import jars
from services.infra import net
from services.infra.spark import SparkDetails
from tests.polling import poll

pytestmark = [pytest.mark.spark_cluster, pytest.mark.slow]

JOB = """
import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
squares = spark.sparkContext.parallelize(range(1000), 4).map(lambda x: x * x).sum()
rows = spark.range(10_000).selectExpr("id % 10 AS k").groupBy("k").count().count()
print(f"APP_ID={spark.sparkContext.applicationId} SQUARES={squares} ROWS={rows}")
spark.stop()
"""


def submit(cluster: SparkDetails, script: Path, name: str) -> str:
    """spark-submit `script` to the cluster (client mode); returns the application id."""
    argv = [
        str(jars.spark_home() / "bin" / "spark-submit"), "--master", cluster.master_url,
        "--name", name, "--driver-memory", "512m", "--executor-memory", "512m",
        "--conf", "spark.eventLog.enabled=true",
        "--conf", f"spark.eventLog.dir={Path(cluster.event_log_dir).as_uri()}",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=2",
        # A tiny job: the quick-starting C1 compiler saves seconds of JVM warm-up on 2 cores.
        "--driver-java-options", jars.QUICK_START,
        "--conf", f"spark.executor.extraJavaOptions={jars.QUICK_START}",
        "--conf", f"spark.pyspark.python={sys.executable}",
        str(script),
    ]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=240,
                          check=False)
    assert done.returncode == 0, f"spark-submit failed:\n{done.stderr[-4000:]}"
    line = next(x for x in done.stdout.splitlines() if x.startswith("APP_ID="))
    fields = dict(part.split("=", 1) for part in line.split())
    assert fields["SQUARES"] == str(sum(x * x for x in range(1000)))
    assert fields["ROWS"] == "10"
    return fields["APP_ID"]


def test_job_runs_on_worker_and_reaches_history(spark_cluster: SparkDetails,
                                                tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(JOB)
    name = f"infra-test-{uuid.uuid4().hex[:8]}"

    app_id = submit(spark_cluster, script, name)

    master = net.get_json(f"{spark_cluster.master_ui_url}/json/")
    finished = {a["id"]: a for a in master["completedapps"]}
    assert finished[app_id]["name"] == name

    history = spark_cluster.history_ui_url + "/api/v1/applications"
    def completed_app() -> dict[str, Any] | None:
        apps = net.get_json(history) or []
        return next((a for a in apps if a["id"] == app_id and a["attempts"][0]["completed"]),
                    None)

    app = poll("the completed application in the history server", completed_app)
    assert app["name"] == name
    executors = net.get_json(f"{history}/{app_id}/allexecutors")
    worked = [e for e in executors if e["id"] != "driver" and e["totalTasks"] > 0]
    assert worked, f"no executor ran tasks: {executors}"
    assert all(e["hostPort"].startswith("127.0.0.1:") for e in worked)

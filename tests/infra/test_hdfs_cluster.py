"""The HDFS fixture is a real NameNode + DataNode: WebHDFS from Python, Parquet from Spark."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from hdfs import InsecureClient

from services.infra.hdfs import HdfsDetails

pytestmark = pytest.mark.hdfs


def test_webhdfs_upload_list_and_read(hdfs_cluster: HdfsDetails, tmp_path: Path) -> None:
    local = tmp_path / "rows.csv"
    local.write_bytes(b"id,amount\n" + b"".join(b"%d,%d.5\n" % (i, i) for i in range(10_000)))
    folder = f"/tests/webhdfs-{uuid.uuid4().hex[:8]}"
    client = InsecureClient(hdfs_cluster.webhdfs_url, user="someone")

    client.upload(f"{folder}/rows.csv", str(local))

    assert client.list(folder) == ["rows.csv"]
    status = client.status(f"{folder}/rows.csv")
    assert status["length"] == local.stat().st_size
    assert status["replication"] == 1
    with client.read(f"{folder}/rows.csv") as reader:
        assert reader.read() == local.read_bytes()


@pytest.mark.spark
@pytest.mark.slow
def test_spark_writes_and_reads_partitioned_parquet(spark, hdfs_cluster: HdfsDetails) -> None:
    from pyspark.testing import assertDataFrameEqual

    name = f"parquet-{uuid.uuid4().hex[:8]}"
    path = f"{hdfs_cluster.uri}/tests/{name}"
    rows = [(i, f"user-{i % 7}", dt.date(2024, 1, 1 + i % 3), i * 1.5) for i in range(300)]
    df = spark.createDataFrame(rows, "id INT, user STRING, day DATE, amount DOUBLE")

    df.write.mode("overwrite").partitionBy("day").parquet(path)

    assertDataFrameEqual(spark.read.parquet(path).select(*df.columns), df)
    listing = InsecureClient(hdfs_cluster.webhdfs_url).list(f"/tests/{name}")
    assert sorted(p for p in listing if p.startswith("day=")) == [
        "day=2024-01-01", "day=2024-01-02", "day=2024-01-03"]

"""Session fixtures for the real components: one local Spark session, and one Kafka broker,
one schema registry, one HDFS and one Spark standalone cluster started on free loopback
ports in a temp folder, each at most once per test run and stopped by pid at the end. An
engine that cannot start makes its tests error with the engine's own message (and log
tail), never hang.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from services.common import jars
from services.common.jars import JarsMissingError
from services.common.variables import CATALOGUE
from services.infra import process
from services.infra.engine import Engine
from services.infra.errors import EngineError
from services.infra.hdfs import Hdfs, HdfsDetails
from services.infra.kafka import Kafka, KafkaDetails
from services.infra.registry import Registry, RegistryDetails
from services.infra.spark import Spark, SparkDetails

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without the project's settings and cannot leak env changes."""
    snapshot = dict(os.environ)
    for name in CATALOGUE:
        monkeypatch.delenv(name, raising=False)
    # Jobs a test starts keep their event logs out of the repo's spark-events/ (the demo's
    # history server); the tests of event logs say where they want them.
    monkeypatch.setenv("SPARK_EVENT_LOG_DIR", "none")
    yield
    os.environ.clear()
    os.environ.update(snapshot)


def _run_engine(engine: Engine[Any]) -> Iterator[Any]:
    """Start `engine`, yield its details, stop it and check none of its processes survive."""
    try:
        status, _ = engine.start()
    except (EngineError, JarsMissingError) as exc:
        failure = f"{engine.name} did not start:\n{exc}"
    else:
        failure = ""
    if failure:
        pytest.fail(failure, pytrace=False)
    records = engine.records()
    try:
        yield status.details
    finally:
        engine.stop()
        survivors = {d: r.pid for d, r in records.items() if process.is_alive(r)}
        assert not survivors, f"{engine.name} processes survived stop: {survivors}"


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaDetails]:
    yield from _run_engine(Kafka(tmp_path_factory.mktemp("kafka"), die_with_caller=True))


@pytest.fixture(scope="session")
def schema_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryDetails]:
    yield from _run_engine(Registry(tmp_path_factory.mktemp("registry"), die_with_caller=True))


@pytest.fixture(scope="session")
def hdfs_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HdfsDetails]:
    yield from _run_engine(Hdfs(tmp_path_factory.mktemp("hdfs"), die_with_caller=True))


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkDetails]:
    yield from _run_engine(Spark(tmp_path_factory.mktemp("spark"), die_with_caller=True))


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """A local[2] SparkSession, small and deterministic; with the Kafka connector and the
    Avro data source when the project cache (or SPARK_KAFKA_JAR_DIR) has them."""
    from pyspark.sql import SparkSession  # slow to import; only tests that use it pay

    work = tmp_path_factory.mktemp("spark-local")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config("spark.local.dir", str(work / "tmp"))
        # Python workers must import pyspark: use this interpreter, not `python3` on PATH.
        .config("spark.pyspark.python", sys.executable)
    )
    found = jars.spark_avro_jars()  # the batch job's Avro data source (jvm/spark-avro)
    with contextlib.suppress(JarsMissingError):
        found = [*jars.spark_kafka_jars(), *found]
    if found:
        builder = builder.config("spark.jars", ",".join(str(p) for p in found))
    session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()


"""Streaming settings and connector discovery, without Spark."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.cli import UsageError
from services.infra.errors import JarsMissingError
from services.spark.kafka_connector import derived_package, resolve_connector
from services.spark.streaming_job import StreamSettings, trigger_seconds


def test_defaults_follow_the_spec():
    s = StreamSettings.from_env({})
    assert (s.bootstrap_servers, s.topic) == ("kafka:9092", "sales")
    assert s.trigger_seconds == 30 and s.starting_offsets == "latest"
    assert s.mode == "retail" and s.output_path.startswith("hdfs://namenode:8020/")
    assert s.live_view and s.shuffle_partitions == 4


@pytest.mark.parametrize(("env", "mode"), [
    ({"SCHEMA_CONFIG_PATH": "x.json"}, "schema"),
    ({"SCHEMA_CONFIG_PATH": "x.json", "STREAM_MODE": "retail"}, "retail"),
    ({"STREAM_MODE": "RETAIL"}, "retail"),
])
def test_mode_follows_the_schema_and_can_be_forced(env, mode):
    assert StreamSettings.from_env(env).mode == mode


@pytest.mark.parametrize(("env", "message"), [
    ({"STREAM_MODE": "schema"}, "STREAM_MODE=schema needs SCHEMA_CONFIG_PATH"),
    ({"STREAM_MODE": "fast"}, "STREAM_MODE='fast'; accepted: auto, schema, retail"),
    ({"STREAM_TRIGGER_INTERVAL": "soon"}, "STREAM_TRIGGER_INTERVAL='soon' is not an interval"),
    ({"SPARK_SHUFFLE_PARTITIONS": "0"}, "SPARK_SHUFFLE_PARTITIONS='0' must be a whole number"),
    ({"STREAM_LIVE_VIEW": "maybe"}, "STREAM_LIVE_VIEW='maybe' is not a boolean"),
])
def test_bad_settings_name_the_variable(env, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        StreamSettings.from_env(env)


@pytest.mark.parametrize(("raw", "seconds"), [
    ("30 seconds", 30), ("5s", 5), ("2 minutes", 120), ("500 milliseconds", 0.5), ("12", 12)])
def test_trigger_intervals(raw, seconds):
    assert trigger_seconds("T", raw) == seconds


def test_monitor_files_sit_beside_a_local_sink_or_in_the_monitor_dir(tmp_path):
    local = StreamSettings.from_env({"OUTPUT_PATH": str(tmp_path / "out")})
    assert local.monitor_files().status_file == tmp_path / "out_status.json"
    remote = StreamSettings.from_env({"OUTPUT_PATH": "hdfs://nn:8020/x/stream",
                                      "STREAM_MONITOR_DIR": str(tmp_path)})
    assert remote.monitor_files().live_file == tmp_path / "stream_live.json"
    assert StreamSettings.from_env({"OUTPUT_PATH": "hdfs://nn:8020/x"}).monitor_files() is None


def fake_spark_home(root: Path, with_connector: bool) -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "spark-class").write_text("")
    (root / "jars").mkdir()
    (root / "jars" / "scala-library-2.13.16.jar").write_text("")
    if with_connector:
        (root / "jars" / "spark-sql-kafka-0-10_2.13-4.1.3.jar").write_text("")
    return root


def test_connector_discovery_order(tmp_path):
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "spark-sql-kafka-0-10_2.13-4.1.3.jar").write_text("")
    (jars / "kafka-clients-3.9.1.jar").write_text("")
    found = resolve_connector({"SPARK_KAFKA_JAR_DIR": str(jars), "SPARK_KAFKA_PACKAGE": "x:y:1"})
    assert found.conf["spark.jars"].count(".jar") == 2
    assert resolve_connector({"SPARK_KAFKA_PACKAGE": "g:a:1"}).conf == {
        "spark.jars.packages": "g:a:1"}
    home = fake_spark_home(tmp_path / "spark", with_connector=True)
    assert resolve_connector({"SPARK_HOME": str(home)}).conf == {}
    with pytest.raises(JarsMissingError):
        resolve_connector({"SPARK_KAFKA_JAR_DIR": str(tmp_path / "empty")})


def test_derived_coordinates_use_spark_and_scala_versions(tmp_path):
    home = fake_spark_home(tmp_path / "spark", with_connector=False)
    assert derived_package(home, "4.1.3") == "org.apache.spark:spark-sql-kafka-0-10_2.13:4.1.3"

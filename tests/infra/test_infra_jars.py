"""Finding jars and launchers: the project cache, or the user's install via env variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common import jars
from services.common.jars import JarsMissingError


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def test_kafka_home_libs_wins_over_the_cache(tmp_path: Path) -> None:
    touch(tmp_path / "libs" / "kafka_2.13-4.1.2.jar")
    assert jars.kafka_classpath({"KAFKA_HOME": str(tmp_path)}) == [str(tmp_path / "libs" / "*")]


def test_a_kafka_home_without_the_broker_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(JarsMissingError, match=rf"KAFKA_HOME={tmp_path}"):
        jars.kafka_classpath({"KAFKA_HOME": str(tmp_path)})


def test_without_env_the_project_cache_is_used(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(jars, "JVM_CACHE", tmp_path)
    with pytest.raises(JarsMissingError, match="make setup"):
        jars.kafka_classpath({})
    touch(tmp_path / "kafka" / "kafka_2.13-4.1.2.jar")
    touch(tmp_path / "hadoop" / "hadoop-hdfs-3.4.2.jar")
    touch(tmp_path / "spark-kafka" / "spark-sql-kafka-0-10_2.13-4.1.3.jar")
    touch(tmp_path / "spark-kafka" / "kafka-clients-3.9.1.jar")
    assert jars.kafka_classpath({}) == [str(tmp_path / "kafka" / "*")]
    assert jars.hadoop_classpath({}) == [str(tmp_path / "hadoop" / "*")]
    assert [p.name for p in jars.spark_kafka_jars({})] == [
        "kafka-clients-3.9.1.jar", "spark-sql-kafka-0-10_2.13-4.1.3.jar"]


def test_hadoop_home_uses_the_distribution_layout(tmp_path: Path) -> None:
    share = tmp_path / "share" / "hadoop"
    touch(share / "hdfs" / "hadoop-hdfs-3.4.2.jar")
    touch(share / "common" / "hadoop-common-3.4.2.jar")
    classpath = jars.hadoop_classpath({"HADOOP_HOME": str(tmp_path)})
    assert str(share / "hdfs") in classpath  # the folder itself: webapps/ for the UI
    assert str(share / "hdfs" / "lib" / "*") in classpath
    assert str(share / "common" / "lib" / "*") in classpath


def test_spark_kafka_jar_dir_must_hold_the_connector(tmp_path: Path) -> None:
    touch(tmp_path / "kafka-clients-3.9.1.jar")
    env = {"SPARK_KAFKA_JAR_DIR": str(tmp_path)}
    with pytest.raises(JarsMissingError, match="SPARK_KAFKA_JAR_DIR"):
        jars.spark_kafka_jars(env)
    touch(tmp_path / "spark-sql-kafka-0-10_2.13-4.1.3.jar")
    assert len(jars.spark_kafka_jars(env)) == 2


def test_spark_home_defaults_to_the_pyspark_package(tmp_path: Path) -> None:
    import pyspark

    assert jars.spark_home({}) == Path(pyspark.__file__).parent
    with pytest.raises(JarsMissingError, match="SPARK_HOME"):
        jars.spark_home({"SPARK_HOME": str(tmp_path)})


def test_java_from_java_home_or_path(tmp_path: Path) -> None:
    with pytest.raises(JarsMissingError, match="JAVA_HOME"):
        jars.java_executable({"JAVA_HOME": str(tmp_path)})
    java = touch(tmp_path / "bin" / "java")
    assert jars.java_executable({"JAVA_HOME": str(tmp_path)}) == str(java)
    assert jars.java_executable({}).endswith("java")

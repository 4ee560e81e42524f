"""Where the JVM engines' jars and launchers are, for the local engines (services.infra) and
the jobs (the Spark Kafka connector): the user's own install when an environment variable
points at one, else the project cache filled by `scripts/setup.sh jvm` (`make setup`).

KAFKA_HOME (uses $KAFKA_HOME/libs), HADOOP_HOME (share/hadoop/...), SPARK_KAFKA_JAR_DIR
(the Spark Kafka connector and its dependencies), SPARK_HOME (else the pyspark package),
JAVA_HOME (else `java` on PATH).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from services.common import settings
from services.common.paths import JVM_CACHE


class JarsMissingError(RuntimeError):
    """The jars or launcher of an engine are not where we looked."""


SETUP_HINT = "run `make setup` (or `scripts/setup.sh jvm`)"
# The C1 compiler alone starts a JVM about twice as fast on 2 cores; for one-shot tools and
# daemons that idle most of the time (not for the Kafka broker, which should run fast).
QUICK_START = "-XX:TieredStopAtLevel=1"


INSTALLS = {o.env: o for o in (
    settings.Option("kafka_home", "KAFKA_HOME", settings.text),
    settings.Option("hadoop_home", "HADOOP_HOME", settings.text),
    settings.Option("spark_kafka_jar_dir", "SPARK_KAFKA_JAR_DIR", settings.text),
    settings.Option("spark_home", "SPARK_HOME", settings.text),
    settings.Option("java_home", "JAVA_HOME", settings.text),
)}


def install(variable: str, env: Mapping[str, str] | None = None) -> str | None:
    """The user's own install that `variable` points at (None: unset)."""
    return settings.value(INSTALLS[variable], os.environ if env is None else env)


def _jar_dir(variable: str, value: str | None, sub: str, cache: str, marker: str) -> Path:
    """`value/sub` when the variable is set, else the cache folder; it must hold `marker`."""
    if value:
        folder = Path(value) / sub if sub else Path(value)
        where = f"{folder} (from {variable}={value})"
        hint = f"point {variable} at an install that has it, or unset it to use the project cache"
    else:
        folder = JVM_CACHE / cache
        where = str(folder)
        hint = SETUP_HINT
    if not any(folder.glob(marker)):
        raise JarsMissingError(f"no {marker} in {where}: {hint}")
    return folder


def kafka_classpath(env: Mapping[str, str] | None = None) -> list[str]:
    """Classpath entries of the Kafka broker (KRaft) and its tools."""
    home = install("KAFKA_HOME", env)
    return [str(_jar_dir("KAFKA_HOME", home, "libs", "kafka", "kafka_2.13-*.jar") / "*")]


def hadoop_classpath(env: Mapping[str, str] | None = None) -> list[str]:
    """Classpath entries of the HDFS NameNode and DataNode, web UI files included."""
    home = install("HADOOP_HOME", env)
    if not home:
        return [str(_jar_dir("HADOOP_HOME", None, "", "hadoop", "hadoop-hdfs-*.jar") / "*")]
    share = Path(home) / "share" / "hadoop"
    hdfs = _jar_dir("HADOOP_HOME", home, "share/hadoop/hdfs", "", "hadoop-hdfs-*.jar")
    common = _jar_dir("HADOOP_HOME", home, "share/hadoop/common", "", "hadoop-common-*.jar")
    # The hdfs folder itself holds webapps/, which the NameNode's HTTP server loads.
    return [str(common / "*"), str(share / "common" / "lib" / "*"), str(hdfs),
            str(hdfs / "*"), str(hdfs / "lib" / "*")]


def spark_kafka_jars(env: Mapping[str, str] | None = None) -> list[Path]:
    """The Spark Kafka connector and the dependencies pyspark does not ship, for `spark.jars`."""
    folder = _jar_dir("SPARK_KAFKA_JAR_DIR", install("SPARK_KAFKA_JAR_DIR", env), "",
                      "spark-kafka", "spark-sql-kafka-0-10_*.jar")
    return sorted(folder.glob("*.jar"))


def spark_avro_jars() -> list[Path]:
    """Spark's Avro data source (jvm/spark-avro), for `spark.jars` of the jobs that read
    `.avro` extracts; none when the cache lacks it (a job then says so on the first Avro
    file, services.spark.extracts)."""
    return sorted((JVM_CACHE / "spark-avro").glob("spark-avro_*.jar"))


def registry_runner(env: Mapping[str, str] | None = None) -> Path:
    """The schema registry's runnable jar, in the distribution `make setup` unpacks."""
    folder = _jar_dir("", None, "", "registry", "apicurio-registry-app-*-runner.jar")
    return next(folder.glob("apicurio-registry-app-*-runner.jar"))


def spark_home(env: Mapping[str, str] | None = None) -> Path:
    """SPARK_HOME, else the pyspark package (it ships bin/spark-class and jars/)."""
    home = install("SPARK_HOME", env)
    if home:
        folder, where = Path(home), f"{home} (from SPARK_HOME)"
    else:
        spec = importlib.util.find_spec("pyspark")
        if spec is None or not spec.submodule_search_locations:
            raise JarsMissingError(f"pyspark is not installed in this Python: {SETUP_HINT}")
        folder = Path(next(iter(spec.submodule_search_locations)))
        where = f"{folder} (the pyspark package)"
    if not (folder / "bin" / "spark-class").is_file():
        raise JarsMissingError(f"no bin/spark-class in {where}")
    return folder


def java_executable(env: Mapping[str, str] | None = None) -> str:
    """$JAVA_HOME/bin/java, else `java` on PATH; engines need a JDK 17."""
    java_home = install("JAVA_HOME", env)
    if java_home:
        java = Path(java_home) / "bin" / "java"
        if not java.is_file():
            raise JarsMissingError(f"no bin/java in JAVA_HOME={java_home}: fix or unset it")
        return str(java)
    found = shutil.which("java")
    if found is None:
        raise JarsMissingError("no `java` on PATH: install a JDK 17 "
                               "(apt-get install openjdk-17-jdk-headless) or set JAVA_HOME")
    return found

"""Finding the Spark Kafka connector before the session starts.

In order: SPARK_KAFKA_JAR_DIR; SPARK_KAFKA_PACKAGE (Maven coordinates); the connector
already in $SPARK_HOME/jars (a Spark image built with it); the project's resolved cache
(`make setup`); else Maven coordinates derived from the running Spark's Scala and Spark
versions, which Spark resolves itself (needs Maven Central).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyspark

from services.common import jars, settings
from services.common.jars import JarsMissingError
from services.common.paths import JVM_CACHE

CONNECTOR = "spark-sql-kafka-0-10"
PACKAGE = settings.Option("package", "SPARK_KAFKA_PACKAGE", settings.text)


@dataclass(frozen=True)
class Connector:
    """Session settings that put the connector on the classpath, and where it came from."""

    conf: dict[str, str]
    source: str


def scala_binary_version(spark_home: Path) -> str:
    """2.13 for pyspark 4: read off the scala-library jar Spark ships."""
    for jar in (spark_home / "jars").glob("scala-library-*.jar"):
        match = re.match(r"scala-library-(\d+\.\d+)\.", jar.name)
        if match:
            return match.group(1)
    return "2.13"


def derived_package(spark_home: Path, spark_version: str = pyspark.__version__) -> str:
    return (f"org.apache.spark:{CONNECTOR}_{scala_binary_version(spark_home)}:"
            f"{spark_version}")


def _discover_local_kafka_jars(env: Mapping[str, str]) -> tuple[list[Path], str] | None:
    """The connector jars from SPARK_KAFKA_JAR_DIR or the project cache, if present."""
    try:
        found = jars.spark_kafka_jars(env)
    except JarsMissingError:
        if jars.install("SPARK_KAFKA_JAR_DIR", env):
            raise
        return None
    where = jars.install("SPARK_KAFKA_JAR_DIR", env) or str(JVM_CACHE / "spark-kafka")
    return found, where


def resolve_connector(env: Mapping[str, str]) -> Connector:
    if jars.install("SPARK_KAFKA_JAR_DIR", env):
        found, where = _discover_local_kafka_jars(env)  # raises when the folder lacks it
        return Connector({"spark.jars": ",".join(map(str, found))}, f"jars in {where}")
    package = settings.value(PACKAGE, env)
    if package:
        return Connector({"spark.jars.packages": package}, f"package {package}")
    home = jars.spark_home(env)
    if any((home / "jars").glob(f"{CONNECTOR}_*.jar")):
        return Connector({}, f"{home / 'jars'}")
    local = _discover_local_kafka_jars(env)
    if local:
        found, where = local
        return Connector({"spark.jars": ",".join(map(str, found))}, f"jars in {where}")
    package = derived_package(home)
    return Connector({"spark.jars.packages": package}, f"package {package} (derived)")

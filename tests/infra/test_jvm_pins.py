"""The pinned JVM artifacts agree with the Python side: the connector is exactly the
installed pyspark, the HDFS daemons match Spark's Hadoop client, and the connector set does
not duplicate jars pyspark already ships (that causes classpath conflicts)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

from services.common import jars
from services.common.paths import JVM_CACHE, REPO_ROOT

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
# artifact-1.2.3[-qualifier][-tests].jar; artifacts may hold digits ("kafka-0-10_2.13").
JAR_NAME = re.compile(r"^(?P<artifact>.+?)-(?P<version>\d+(?:\.\d+)+(?:[-.][A-Za-z0-9]+)*?)"
                      r"(?:-tests)?\.jar$")


def pom_property(pom: str, name: str) -> str:
    root = ET.parse(REPO_ROOT / "jvm" / pom / "pom.xml").getroot()
    value = root.findtext(f"m:properties/m:{name}", namespaces=POM_NS)
    assert value, f"jvm/{pom}/pom.xml has no <{name}>"
    return value


def artifacts(folder: Path) -> dict[str, str]:
    """Artifact name -> version for the jars in `folder` whose names follow Maven's pattern."""
    matches = (JAR_NAME.match(jar.name) for jar in folder.glob("*.jar"))
    return {m["artifact"]: m["version"] for m in matches if m}


def test_connector_version_is_the_installed_pyspark() -> None:
    assert pom_property("spark-kafka", "spark.version") == version("pyspark")
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert f'"pyspark=={version("pyspark")}"' in pyproject


def test_kafka_broker_is_4x() -> None:
    assert pom_property("kafka", "kafka.version").startswith("4.")


def test_hdfs_daemons_match_sparks_hadoop_client() -> None:
    client = artifacts(jars.spark_home() / "jars")["hadoop-client-api"]
    assert pom_property("hadoop", "hadoop.version") == client


def test_connector_jars_do_not_repeat_what_pyspark_ships() -> None:
    cached = artifacts(JVM_CACHE / "spark-kafka")
    assert cached.get("spark-sql-kafka-0-10_2.13") == version("pyspark"), "run `make setup`"
    shipped = artifacts(jars.spark_home() / "jars")
    assert sorted(set(cached) & set(shipped)) == []


def test_avro_data_source_is_of_pysparks_minor_line_and_alone() -> None:
    """spark-avro 4.1.1 (Central has no 4.1.3): same Scala, same minor line as pyspark, and
    only its own jar (Avro itself is in pyspark's jars/); tests/spark/batch/
    test_avro_extracts.py proves it reads our files."""
    pinned = pom_property("spark-avro", "spark-avro.version")
    assert pinned.rsplit(".", 1)[0] == version("pyspark").rsplit(".", 1)[0]
    assert artifacts(JVM_CACHE / "spark-avro") == {"spark-avro_2.13": pinned}, "run `make setup`"
    assert [j.name for j in jars.spark_avro_jars()] == [f"spark-avro_2.13-{pinned}.jar"]
    assert "avro" in artifacts(jars.spark_home() / "jars")


def test_registry_is_the_2x_line_that_runs_on_jdk_17() -> None:
    assert pom_property("registry", "registry.version").startswith("2.")
    runner = jars.registry_runner()
    assert runner.name == f"apicurio-registry-app-{pom_property('registry', 'registry.version')}" \
        "-runner.jar"
    assert (runner.parent / "lib").is_dir(), "the distribution zip is unpacked with its lib/"

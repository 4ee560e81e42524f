"""Streaming settings and connector discovery, without Spark (but for one test that checks
the trigger table against Spark's own parser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.common.cli import UsageError
from services.common.jars import JarsMissingError
from services.common.paths import REPO_ROOT
from services.demo import cli as demo
from services.spark.kafka_connector import derived_package, resolve_connector
from services.spark.streaming_job import StreamJobSettings
from services.spark.trigger_interval import IntervalError, interval_ms


def test_defaults_follow_the_spec():
    s = StreamJobSettings.from_env({})
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
    assert StreamJobSettings.from_env(env).mode == mode


@pytest.mark.parametrize(("env", "message"), [
    ({"STREAM_MODE": "schema"}, "STREAM_MODE=schema needs SCHEMA_CONFIG_PATH"),
    ({"STREAM_MODE": "fast"},
     "STREAM_MODE='fast' is not usable: expected one of auto, schema, retail"),
    ({"STREAM_TRIGGER_INTERVAL": "10 secs"},
     "STREAM_TRIGGER_INTERVAL='10 secs' is not a trigger interval Spark accepts"),
    ({"SPARK_SHUFFLE_PARTITIONS": "0"},
     "SPARK_SHUFFLE_PARTITIONS='0' is not usable: expected a whole number >= 1"),
    ({"STREAM_LIVE_VIEW": "maybe"}, "STREAM_LIVE_VIEW='maybe' is not usable: expected a boolean"),
])
def test_bad_settings_name_the_variable(env, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        StreamJobSettings.from_env(env)


# What Trigger.ProcessingTime takes (Spark 4.1 SparkIntervalUtils.stringToInterval, then no
# months, then >= 0 ms), in milliseconds; test_the_table_is_sparks_own checks it in the JVM.
ACCEPTED = {
    "30 seconds": 30_000, "1 second": 1_000, "1 hour": 3_600_000, "2 HOURS": 7_200_000,
    "interval 10 seconds": 10_000, "INTERVAL 1 minute 30 seconds": 90_000,
    "interval\t5 seconds": 5_000, "  10   seconds  ": 10_000, "1 week 1 day": 691_200_000,
    "500 milliseconds": 500, "1500 microseconds": 1, "999 microseconds": 0, "0 seconds": 0,
    "1.5 seconds": 1_500, ".5 seconds": 500, "5. seconds": 5_000, "-.5 seconds 1 second": 500,
    "0.000999999 seconds": 0, "+5 seconds": 5_000, "- 5 seconds 10 seconds": 5_000,
    "1 hour -30 minutes": 1_800_000, "1 year -12 months 2 seconds": 2_000,
    "1 day\n2 hours": 93_600_000,
}
REFUSED = {
    "10 secs": "'secs' is not a unit", "30s": "'30s' is not a number followed by a unit",
    "12": "'12' has no unit", "soon": "'soon' is not a number followed by a unit",
    "": "it is empty", "   ": "it is empty", "interval": "nothing follows 'interval'",
    "intervals 5 seconds": "'intervals' is not the prefix 'interval'",
    "10seconds": "'10seconds' is not a number followed by a unit",
    "1 hour30 minutes": "'hour30' is not a unit", "5 seconds 3": "'3' has no unit",
    "1 min": "'min' is not a unit", "1 nanosecond": "'nanosecond' is not a unit",
    "1.5 minutes": "only seconds take a fraction, not minutes",
    ". seconds": "'.' is not a number followed by a unit",
    "- seconds": "'-' is not a number followed by a unit",
    "1.0000000001 seconds": "has more than 9 decimals",
    "1 month": "the trigger takes no months or years", "1 year": "no months or years",
    "-5 seconds": "it is negative", "-1 microsecond": "it is negative",
    "9223372036854775808 microseconds": "it is too large",
    "2562047788015216 hours": "it is too large", "2147483648 days": "it is too large",
    "5 seconds 5 seconds 1e3 seconds": "'1e3' is not a number followed by a unit",
    "１ second": "'１' is not a number followed by a unit",
}


@pytest.mark.parametrize(("raw", "ms"), ACCEPTED.items())
def test_trigger_intervals_spark_accepts_are_accepted(raw, ms):
    assert interval_ms(raw) == ms
    settings = StreamJobSettings.from_env({"STREAM_TRIGGER_INTERVAL": raw})
    assert (settings.trigger_ms, settings.trigger) == (ms, f"{ms} milliseconds")


@pytest.mark.parametrize(("raw", "reason"), REFUSED.items())
def test_trigger_intervals_spark_refuses_are_refused_with_the_reason(raw, reason):
    with pytest.raises(IntervalError, match=re.escape(reason)):
        interval_ms(raw)
    if raw.strip():  # an empty setting means the default
        with pytest.raises(UsageError) as refused:
            StreamJobSettings.from_env({"STREAM_TRIGGER_INTERVAL": raw})
        message = str(refused.value)
        assert message.startswith(f"STREAM_TRIGGER_INTERVAL={raw!r} is not a trigger interval")
        assert reason in message and "\n" not in message and "e.g. '10 seconds'" in message


def test_the_demo_and_compose_defaults_are_accepted():
    """`make demo TRIGGER=...`, the demo's own default and the streaming stack's default."""
    makefile = re.search(r"^TRIGGER \?= (.+)$", (REPO_ROOT / "Makefile").read_text(), re.M)
    compose = re.search(r"STREAM_TRIGGER_INTERVAL: \$\{STREAM_TRIGGER_INTERVAL:-([^}]+)\}",
                        (REPO_ROOT / "docker-compose.streaming.yml").read_text())
    assert makefile and compose
    assert interval_ms(makefile[1]) == interval_ms(compose[1]) == 10_000
    assert interval_ms(demo.parse([]).trigger) == 10_000
    assert StreamJobSettings.from_env({}).trigger_seconds == 30


def test_the_demo_refuses_a_bad_trigger_before_starting_anything():
    with pytest.raises(UsageError, match=r"^--trigger='10 secs' is not a trigger interval"):
        demo.parse(["--trigger", "10 secs"])


@pytest.mark.spark
def test_the_table_is_sparks_own(spark):
    """Every value of both tables through Trigger.ProcessingTime in the session's JVM."""
    trigger = spark.sparkContext._jvm.org.apache.spark.sql.streaming.Trigger
    for raw, ms in ACCEPTED.items():
        assert trigger.ProcessingTime(raw).intervalMs() == ms, raw
    for raw in REFUSED:
        with pytest.raises(Exception, match=r"IllegalArgument|INVALID_INTERVAL|interval"):
            trigger.ProcessingTime(raw)


def test_monitor_files_sit_beside_a_local_sink_or_in_the_monitor_dir(tmp_path):
    local = StreamJobSettings.from_env({"OUTPUT_PATH": str(tmp_path / "out")})
    assert local.monitor_files().status_file == tmp_path / "out_status.json"
    remote = StreamJobSettings.from_env({"OUTPUT_PATH": "hdfs://nn:8020/x/stream",
                                      "STREAM_MONITOR_DIR": str(tmp_path)})
    assert remote.monitor_files().live_file == tmp_path / "stream_live.json"
    assert StreamJobSettings.from_env({"OUTPUT_PATH": "hdfs://nn:8020/x"}).monitor_files() is None


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

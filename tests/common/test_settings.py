"""One way to read settings: every variable is in the catalogue, declared by some option,
read only through `services.common.settings`, and a bad value names its variable."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

from services.common import settings as s
from services.common.paths import REPO_ROOT
from services.common.variables import CATALOGUE

PACKAGES = ("services", "dashboard", "streaming_dashboard")
# Reading a variable by name anywhere but through an Option: env.get("X"), environ["X"],
# getenv("X").
DIRECT_READ = re.compile(
    r"""\b(?:environ|env|getenv)\s*(?:\.get\(|\[|\()\s*["'][A-Z][A-Z0-9_]*["']""")


def import_everything() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not info.name.endswith(".__main__"):  # importing one runs the service
                importlib.import_module(info.name)


def test_every_catalogued_variable_is_read_by_some_option():
    import_everything()
    assert set(CATALOGUE) - s.DECLARED == set(), "catalogued but read by no option"
    assert s.DECLARED - set(CATALOGUE) == set()


def test_no_code_reads_a_variable_around_the_options():
    offenders = [f"{path.relative_to(REPO_ROOT)}: {match.group(0)}"
                 for package in PACKAGES for path in sorted((REPO_ROOT / package).rglob("*.py"))
                 for match in DIRECT_READ.finditer(path.read_text())]
    assert offenders == []


def test_an_option_outside_the_catalogue_is_refused_when_declared():
    with pytest.raises(KeyError, match="NOT_A_SETTING is not in"):
        s.Option("x", "NOT_A_SETTING", s.text)


@pytest.mark.parametrize(("option", "raw", "message"), [
    (s.Option("b", "USE_HDFS", s.boolean), "sometimes",
     "USE_HDFS='sometimes' is not usable: expected a boolean: true/false, yes/no, 1/0"),
    (s.Option("p", "DASHBOARD_PORT", s.port), "70000",
     "DASHBOARD_PORT='70000' is not usable: expected a port number between 0 and 65535"),
    (s.Option("n", "SPARK_SHUFFLE_PARTITIONS", s.count), "0",
     "SPARK_SHUFFLE_PARTITIONS='0' is not usable: expected a whole number >= 1"),
    (s.Option("r", "EVENTS_PER_SECOND", s.number()), "fast",
     "EVENTS_PER_SECOND='fast' is not usable: expected a number"),
    (s.LOG_LEVEL, "loud", "LOG_LEVEL='loud' is not usable: expected one of DEBUG, INFO"),
    # nan compares false with every bound: an unbounded number must refuse it all the same
    (s.Option("r", "EVENTS_PER_SECOND", s.number()), "nan",
     "EVENTS_PER_SECOND='nan' is not usable: expected a number"),
    (s.Option("w", "INPUT_WAIT_SECONDS", s.wait_seconds), " NaN ",
     "INPUT_WAIT_SECONDS=' NaN ' is not usable: expected a number of seconds >= 0"),
    (s.Option("t", "DASHBOARD_REFRESH_SECONDS", s.interval_seconds), "-nan",
     "DASHBOARD_REFRESH_SECONDS='-nan' is not usable: expected a number of seconds between 0.05"),
])
def test_a_bad_value_names_its_variable_and_what_is_accepted(option, raw, message):
    with pytest.raises(s.SettingsError) as caught:
        s.value(option, {option.env: raw})
    assert str(caught.value).startswith(message)


def test_default_then_environment_then_overrides_and_blank_is_unset():
    options = (s.Option("port", "DASHBOARD_PORT", s.port, 5000),
               s.Option("host", "DASHBOARD_HOST", s.host, "127.0.0.1"))
    assert s.resolve(options, {}) == {"port": 5000, "host": "127.0.0.1"}
    assert s.resolve(options, {"DASHBOARD_PORT": " ", "DASHBOARD_HOST": "0.0.0.0"}) == {
        "port": 5000, "host": "0.0.0.0"}
    assert s.resolve(options, {"DASHBOARD_PORT": "81"}, {"DASHBOARD_PORT": 82})["port"] == 82
    assert s.resolve(options, {}, {"DASHBOARD_PORT": "83"})["port"] == 83


def test_spark_sessions_write_event_logs_where_a_history_server_reads(tmp_path):
    from services.spark.session import event_log_conf

    def where(env: dict[str, str]) -> str:
        return s.value(s.SPARK_EVENT_LOG_DIR, env)

    folder = tmp_path / "events" / "nested"
    conf = event_log_conf(where({"SPARK_EVENT_LOG_DIR": str(folder)}))
    assert folder.is_dir()  # Spark refuses a missing folder
    assert conf["spark.eventLog.enabled"] == "true"
    assert conf["spark.eventLog.dir"] == folder.resolve().as_uri()
    assert event_log_conf(where({"SPARK_EVENT_LOG_DIR": "hdfs://nn:8020/events"}))[
        "spark.eventLog.dir"] == "hdfs://nn:8020/events"
    assert event_log_conf(where({"SPARK_EVENT_LOG_DIR": "none"})) == {}
    assert event_log_conf(where({}))["spark.eventLog.dir"] == (REPO_ROOT / "spark-events").as_uri()


@pytest.mark.parametrize("command", ["batch", "stream", "generate"])
def test_every_spark_session_builder_reads_the_event_log_setting(command, tmp_path):
    from services.generator.cli import parse_args
    from services.spark.batch_job import BatchJobSettings
    from services.spark.streaming_job import StreamJobSettings

    env = {"SPARK_EVENT_LOG_DIR": str(tmp_path), "SPARK_KAFKA_PACKAGE": "g:a:1"}
    read = {"batch": lambda: BatchJobSettings.from_env(env),
            "stream": lambda: StreamJobSettings.from_env(env)}
    if command == "generate":
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SPARK_EVENT_LOG_DIR", str(tmp_path))
            chosen = parse_args(["--engine", "spark", "--out", str(tmp_path / "x")])
    else:
        chosen = read[command]()
    assert chosen.event_log_dir == str(tmp_path)

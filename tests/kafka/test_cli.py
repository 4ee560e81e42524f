"""The command line: its flags and variables, settings read once, clear
one-line errors with exit code 2, and a script that runs from any folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.commands import produce
from services.common.cli import UsageError
from services.kafka.settings import parse_settings
from tests.kafka.producer_script import SCRIPT
from tests.schemas import CARD, generate


def test_defaults_are_the_earlier_demo_ones():
    s = parse_settings([], {})
    assert (s.bootstrap_servers, s.topic, s.input_dir, s.rate, s.shuffle, s.loop,
            s.log_level) == ("kafka:9092", "sales", Path("/opt/spark-data/input"), 5.0, False,
                             False, "INFO")
    assert (s.config, s.generate, s.connect_timeout, s.max_events, s.duration) == (
        None, False, 60.0, None, None)


def test_environment_then_flags():
    env = {"KAFKA_BOOTSTRAP_SERVERS": "b1:9092,b2:9093", "KAFKA_TOPIC": "orders",
           "EVENT_INPUT_DIR": "/data", "EVENTS_PER_SECOND": "0", "LOG_LEVEL": "debug",
           "SCHEMA_CONFIG_PATH": str(CARD), "KAFKA_CONNECT_TIMEOUT": "7.5"}
    s = parse_settings([], env)
    assert (s.bootstrap_servers, s.topic, s.input_dir, s.rate, s.log_level, s.config,
            s.connect_timeout) == ("b1:9092,b2:9093", "orders", Path("/data"), 0.0, "DEBUG",
                                   CARD, 7.5)
    assert s.unlimited and not s.shuffle and not s.loop
    assert parse_settings([], {**env, "EVENT_SHUFFLE": "yes", "EVENT_LOOP": "1"}).shuffle
    assert parse_settings([], {**env, "EVENT_SHUFFLE": "no", "EVENT_LOOP": "true"}).loop
    s = parse_settings(["--bootstrap-servers", "x:1", "--topic", "t", "--input-dir", "in",
                        "--rate", "-1", "--shuffle", "--loop", "--log-level", "warning",
                        "--connect-timeout", "3", "--key-field", " store "], env)
    assert (s.bootstrap_servers, s.topic, s.input_dir, s.rate, s.shuffle, s.loop,
            s.log_level, s.connect_timeout, s.key_field) == (
        "x:1", "t", Path("in"), -1.0, True, True, "WARNING", 3.0, "store")


@pytest.mark.parametrize(("argv", "env", "message"), [
    (["--rate", "fast"], {}, "argument --rate: invalid float value: 'fast'"),
    (["--rate", "nan"], {}, "--rate must be a finite number"),
    ([], {"EVENTS_PER_SECOND": "fast"},
     "EVENTS_PER_SECOND='fast' is not usable: expected a number"),
    ([], {"KAFKA_CONNECT_TIMEOUT": "soon"},
     "KAFKA_CONNECT_TIMEOUT='soon' is not usable: expected a number"),
    ([], {"LOG_LEVEL": "chatty"}, "LOG_LEVEL='chatty' is not usable: expected one of DEBUG"),
    (["--topic", "no spaces"], {}, "--topic 'no spaces': a topic name is"),
    (["--bootstrap-servers", "kafka"], {}, "expected host:port[,host:port...]"),
    (["--generate"], {}, "--generate needs a schema: give --config FILE"),
    (["--time-scale", "10"], {}, "--time-scale applies to --generate only"),
    (["--generate", "--config", "x.json", "--time-scale", "10", "--rate", "3"], {},
     "--rate and --time-scale both set the pace"),
    (["--generate", "--config", "x.json", "--loop"], {}, "--shuffle and --loop apply to replay"),
    (["--max-events", "0"], {}, "--max-events must be >= 1, got 0"),
    (["--duration", "0"], {}, "--duration must be > 0 seconds"),
    (["--connect-timeout", "-1"], {}, "--connect-timeout must be > 0 seconds"),
    (["--delivery-timeout", "1"], {}, "--delivery-timeout must be >= 2 seconds"),
])
def test_bad_settings_name_the_problem(argv, env, message):
    with pytest.raises(UsageError) as info:
        parse_settings(argv, env)
    assert message in str(info.value)


def test_every_problem_is_one_line(capsys):
    assert produce(["--max-events", "0", "--duration", "-2"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: --max-events must be >= 1, got 0",
                   "error: --duration must be > 0 seconds, got -2.0"]


def test_a_missing_input_folder_is_an_argument_error(tmp_path, capsys):
    code = produce(["--input-dir", str(tmp_path / "nope"), "--bootstrap-servers",
                        "127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: --input-dir / EVENT_INPUT_DIR: {tmp_path / 'nope'} does not exist" in err
    assert "Traceback" not in err


def test_a_bad_schema_is_an_argument_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": {"fields": [{"name": "a", "type": "colour"}]}}')
    assert produce(["--config", str(bad), "--input-dir", str(tmp_path)]) == 2
    assert "unknown type 'colour'" in capsys.readouterr().err


def test_extracts_without_a_good_row_fail_the_run(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("id,order_time\n1,never\n")
    assert produce(["--input-dir", str(tmp_path), "--bootstrap-servers",
                        "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'a.csv'}:2: its event time does not parse" in err
    assert "error: nothing to replay: no rows in" in err


def test_help_says_what_sorting_costs_and_what_shuffle_does():
    result = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True,
                            text=True, cwd="/", check=False)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "Sorting needs every row in memory first" in text
    assert "most events then arrive later than the watermark and are silently dropped" in text
    for flag in ("--bootstrap-servers", "--topic", "--input-dir", "--rate", "--shuffle",
                 "--loop", "--log-level", "--config", "--key-field", "--generate",
                 "--time-scale", "--max-events", "--duration", "--connect-timeout"):
        assert flag in text


def test_the_script_runs_from_another_folder(tmp_path):
    generate(CARD, tmp_path, 5)
    result = subprocess.run([sys.executable, str(SCRIPT), "--input-dir", ".", "--rate", "x"],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: kafka_event_producer.py: argument --rate: "
                                     "invalid float value: 'x'")

"""How engines fail and recover: a taken port, a crashed caller, stale pid files, stopping
twice. A real broker where it matters, small shell "daemons" for the life-cycle rules."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from services.infra import net, process
from services.infra.engine import Details, Engine
from services.infra.errors import EngineStartError, PortInUseError, PortRaceError
from services.infra.kafka import Kafka


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.infra", *args], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.kafka
def test_broker_on_a_taken_port_names_the_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match=rf"port {port} .*kafka broker port"):
            Kafka(tmp_path, port=port).start()
    assert not list((tmp_path / "run").glob("*.pid"))


@pytest.mark.kafka
@pytest.mark.slow
def test_cli_broker_outlives_its_caller_and_stops_by_pid(tmp_path: Path) -> None:
    state = str(tmp_path)
    started = cli("kafka", "start", "--state-dir", state)
    assert started.returncode == 0, started.stderr
    details = json.loads(started.stdout)  # one JSON object, nothing else on stdout
    record = process.read_pid_file(tmp_path / "run" / "broker.pid")
    assert record is not None and process.is_alive(record)  # the caller is gone, the broker runs
    try:
        again = cli("kafka", "start", "--state-dir", state)
        assert again.returncode == 0
        assert "already running" in again.stderr
        assert json.loads(again.stdout)["bootstrap_servers"] == details["bootstrap_servers"]
        status = cli("kafka", "status", "--state-dir", state)
        assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
    finally:
        stopped = cli("kafka", "stop", "--state-dir", state)
    assert stopped.returncode == 0 and str(record.pid) in stopped.stderr
    assert not process.is_alive(record)
    twice = cli("kafka", "stop", "--state-dir", state)
    assert twice.returncode == 0 and "was not running" in twice.stderr
    status = cli("kafka", "status", "--state-dir", state)
    assert status.returncode == 3 and json.loads(status.stdout)["running"] is False


# --- the life-cycle rules, with shell scripts as daemons -----------------------------------

class FakeEngine(Engine[Details]):
    """Daemons are shell commands; ready when `ready()` says so."""

    name = "fake"
    daemons = ("one", "two")
    details_type = Details

    def __init__(self, state_dir: Path, commands: dict[str, str],
                 ready: Callable[[], bool] = lambda: True, **kwargs: object) -> None:
        super().__init__(state_dir, **kwargs)  # type: ignore[arg-type]
        self.commands = commands
        self.ready = ready

    def _launch(self) -> Details:
        for daemon in self.daemons:
            self._spawn(daemon, ["sh", "-c", self.commands[daemon]])
        self._wait_for("the fake to be ready", self.ready)
        return Details()


class RacyEngine(FakeEngine):
    """Its first launch loses a port race: the daemon cannot bind and exits."""

    launches = 0

    def _launch(self) -> Details:
        self.launches += 1
        if self.launches == 1:
            self._ports("main port", [])
            self._spawn("one", ["sh", "-c", "echo java.net.BindException: Address already in use;"
                                            " exit 1"])
            self._wait_for("never", lambda: False)
        return super()._launch()


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_daemon_exiting_at_start_fails_fast_with_its_log(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path, {"one": "sleep 60", "two": "echo boom: bad config; exit 3"},
                        ready=lambda: False, timeout=30)
    started = time.monotonic()
    with pytest.raises(EngineStartError, match=r"(?s)two exited with code 3.*boom: bad config"):
        engine.start()
    assert time.monotonic() - started < 10
    assert engine.status().pids == {}  # the daemon that did start was stopped again
    assert not list(engine.run_dir.glob("*.pid"))


def test_not_ready_in_time_is_an_error_and_stops_the_daemons(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path, {"one": "echo waiting; sleep 60", "two": "sleep 60"},
                        ready=lambda: False, timeout=1)
    with pytest.raises(EngineStartError, match=r"(?s)not ready after 1 s.*waiting"):
        engine.start()
    assert engine.status().pids == {}


def test_start_twice_reuses_and_stop_twice_is_harmless(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path, {"one": "sleep 60", "two": "sleep 60"})
    status, already = engine.start()
    assert not already and status.running
    records = engine.records()
    again, already = engine.start()
    assert already and again.pids == status.pids
    assert sorted(engine.stop()) == sorted(status.pids.values())
    assert not any(process.is_alive(r) for r in records.values())
    assert engine.stop() == []


def test_stale_pid_files_after_a_crash_are_cleared(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path, {"one": "sleep 60", "two": "sleep 60"})
    # A crashed caller left a pid file of a dead process, one of a live process that is not
    # ours (this test's own pid, another start time) and stale details.
    engine.run_dir.mkdir(parents=True)
    process.write_pid_file(engine.pid_file("one"), process.PidRecord(dead_pid(), None, "sh"))
    me = process.PidRecord(os.getpid(), (process.create_time(os.getpid()) or 0) + 1, "sh")
    process.write_pid_file(engine.pid_file("two"), me)
    engine.details_file.write_text("{}")

    assert engine.status().running is False
    status, already = engine.start()
    assert not already and status.running and os.getpid() not in status.pids.values()
    engine.stop()


def test_leftover_daemon_of_a_crashed_start_is_stopped_before_a_new_start(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path, {"one": "sleep 60", "two": "sleep 60"})
    leftover = process.spawn(["sleep", "60"], log_file=tmp_path / "leftover.log")
    record = process.record_of(leftover)
    process.write_pid_file(engine.pid_file("one"), record)  # "two" never started: no details

    status, already = engine.start()
    assert not already and status.pids["one"] != record.pid
    assert not process.is_alive(record)
    engine.stop()


def test_a_lost_port_race_is_retried_with_new_ports(tmp_path: Path) -> None:
    engine = RacyEngine(tmp_path, {"one": "sleep 60", "two": "sleep 60"})
    status, _ = engine.start()
    assert status.running and engine.launches == 2
    engine.stop()


def test_a_lost_race_for_a_given_port_is_not_retried(tmp_path: Path) -> None:
    engine = RacyEngine(tmp_path, {"one": "sleep 60", "two": "sleep 60"},
                        port=net.free_ports(1)[0])
    with pytest.raises(PortRaceError, match="Address already in use"):
        engine.start()
    assert engine.launches == 1 and engine.status().pids == {}

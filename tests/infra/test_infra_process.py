"""Pid files and stopping by pid, with short-lived shell processes (no engines)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from services.infra import jars, process


def spawn(tmp_path: Path, script: str) -> process.PidRecord:
    proc = process.spawn(["sh", "-c", script], log_file=tmp_path / "p.log")
    return process.record_of(proc)


def wait_for(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def test_pid_file_round_trip_and_torn_files(tmp_path: Path) -> None:
    record = process.PidRecord(pid=123, start_ticks=456, command="java x")
    process.write_pid_file(tmp_path / "run" / "x.pid", record)
    assert process.read_pid_file(tmp_path / "run" / "x.pid") == record
    (tmp_path / "torn.pid").write_text('{"pid": 12')
    assert process.read_pid_file(tmp_path / "torn.pid") is None
    assert process.read_pid_file(tmp_path / "missing.pid") is None


def test_a_reused_pid_is_not_ours(tmp_path: Path) -> None:
    me = os.getpid()
    assert process.is_alive(process.PidRecord(me, process.start_ticks(me), ""))
    impostor = process.PidRecord(me, (process.start_ticks(me) or 0) + 1, "")
    assert not process.is_alive(impostor)
    assert process.terminate(impostor) is False  # and we are still here


def test_dead_pid_is_not_alive() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    assert not process.is_alive(process.PidRecord(child.pid, None, ""))


def test_terminate_stops_the_process_and_its_children(tmp_path: Path) -> None:
    record = spawn(tmp_path, "sleep 60 & sleep 60 & wait")
    members = wait_for(lambda: [m for m in [process._group_members(record)] if len(m) >= 3])[0]
    assert process.terminate(record, grace=5) is True
    assert not any(process.is_alive(m) for m in members)
    assert process.terminate(record) is False  # stopping twice is harmless


def test_terminate_kills_what_ignores_sigterm_after_the_grace(tmp_path: Path) -> None:
    record = spawn(tmp_path, "trap '' TERM; echo ready; while :; do sleep 0.1; done")
    wait_for(lambda: "ready" in (tmp_path / "p.log").read_text())
    started = time.monotonic()
    assert process.terminate(record, grace=0.5) is True
    assert not process.is_alive(record)
    assert time.monotonic() - started < 5


def test_log_tail_keeps_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert process.log_tail(log, lines=3) == "line 97\nline 98\nline 99"
    assert "no log" in process.log_tail(tmp_path / "nothing.log")


def test_die_with_parent_leaves_nothing_when_the_caller_is_killed(tmp_path: Path) -> None:
    """A test session killed with SIGKILL cannot stop its engines; the kernel does."""
    caller = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from services.infra import process; "
         "p = process.spawn(['sleep', '60'], log_file=Path(sys.argv[1]), die_with_parent=True); "
         "print(p.pid, flush=True); time.sleep(60)", str(tmp_path / "p.log")],
        stdout=subprocess.PIPE, text=True, cwd=jars.REPO)
    assert caller.stdout is not None
    orphan = process.PidRecord(int(caller.stdout.readline()), None, "sleep")
    # setpriv arms the signal just before it execs sleep: kill the caller only after that.
    wait_for(lambda: Path(f"/proc/{orphan.pid}/comm").read_text().strip() == "sleep")
    caller.kill()
    caller.wait()
    wait_for(lambda: not process.is_alive(orphan))

"""Pid files and stopping by pid, with short-lived shell processes (no engines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from services.common.paths import REPO_ROOT
from services.infra import process
from tests.polling import poll


def spawn(tmp_path: Path, script: str) -> process.PidRecord:
    proc = process.spawn(["sh", "-c", script], log_file=tmp_path / "p.log")
    return process.record_of(proc)


def test_pid_file_round_trip_and_torn_files(tmp_path: Path) -> None:
    record = process.PidRecord(pid=123, create_time=456.78, command="java x")
    process.write_pid_file(tmp_path / "run" / "x.pid", record)
    assert process.read_pid_file(tmp_path / "run" / "x.pid") == record
    (tmp_path / "torn.pid").write_text('{"pid": 12')
    assert process.read_pid_file(tmp_path / "torn.pid") is None
    assert process.read_pid_file(tmp_path / "missing.pid") is None


def test_a_pid_file_of_the_earlier_format_still_identifies_its_process(tmp_path: Path) -> None:
    """Written before psutil: clock ticks since boot. A demo left running across the upgrade
    must still be recognised, and stopped, by the next one."""
    me = os.getpid()
    ticks = int(Path(f"/proc/{me}/stat").read_text().rsplit(")", 1)[1].split()[19])
    (tmp_path / "old.pid").write_text(json.dumps({"pid": me, "start_ticks": ticks,
                                                  "command": "make demo"}))
    record = process.read_pid_file(tmp_path / "old.pid")
    assert record is not None and process.is_alive(record)
    assert record.create_time == process.create_time(me)


def test_a_reused_pid_is_not_ours(tmp_path: Path) -> None:
    me = os.getpid()
    assert process.is_alive(process.PidRecord(me, process.create_time(me), ""))
    impostor = process.PidRecord(me, (process.create_time(me) or 0) - 0.01, "")
    assert not process.is_alive(impostor)
    assert process.terminate(impostor) is False  # and we are still here


def test_dead_pid_is_not_alive() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    assert not process.is_alive(process.PidRecord(child.pid, None, ""))


def test_terminate_stops_the_process_and_its_children(tmp_path: Path) -> None:
    record = spawn(tmp_path, "sleep 60 & sleep 60 & wait")
    members = poll("the shell and its two sleeps", lambda: process.members(record),
                   until=lambda m: len(m) == 3, timeout=10)
    assert process.terminate(record, grace=5) is True
    assert not any(process.is_alive(m) for m in members)
    assert process.terminate(record) is False  # stopping twice is harmless
    assert process.members(record) == []


def test_an_orphan_left_in_the_group_is_stopped_too(tmp_path: Path) -> None:
    """A grandchild whose parent exited is re-parented away from the leader, but stays in
    its process group; ignoring SIGTERM, it must still not outlive a stop."""
    orphan_file = tmp_path / "orphan.pid"
    record = spawn(tmp_path, f"(trap '' TERM; sleep 60 & echo $! > {orphan_file}); "
                             "exec sleep 60")
    pid = poll("the orphan's pid", lambda: orphan_file.exists() and orphan_file.read_text(),
               until=lambda text: bool(text and text.endswith("\n")), timeout=10)
    orphan = process.PidRecord(int(pid), process.create_time(int(pid)), "sleep")
    assert orphan.pid not in {p.pid for p in psutil.Process(record.pid).children(True)}
    assert process.terminate(record, grace=5) is True
    assert not process.is_alive(orphan)


def test_terminate_kills_what_ignores_sigterm_after_the_grace(tmp_path: Path) -> None:
    """The shell outlives SIGTERM; its `sleep 0.1` children seen at the start are gone by
    the time the stragglers are killed (what made a kill loop raise ProcessLookupError),
    and the long sleeps, which SIGTERM did stop, are gone too."""
    record = spawn(tmp_path, "sleep 60 & sleep 60 & trap '' TERM; echo ready; "
                             "while :; do sleep 0.1; done")
    members = poll("the shell to ignore SIGTERM", lambda: process.members(record),
                   until=lambda m: len(m) >= 3 and "ready" in (tmp_path / "p.log").read_text(),
                   timeout=10)
    started = time.monotonic()
    assert process.terminate(record, grace=0.5) is True
    assert not any(process.is_alive(m) for m in members)
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
        stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    assert caller.stdout is not None
    orphan = process.PidRecord(int(caller.stdout.readline()), None, "sleep")
    # setpriv arms the signal just before it execs sleep: kill the caller only after that.
    poll("setpriv to exec sleep", lambda: psutil.Process(orphan.pid).name(),
         until=lambda name: name == "sleep", timeout=10, ignoring=(psutil.Error,))
    caller.kill()
    caller.wait()
    poll("the kernel to kill the orphan", lambda: process.is_alive(orphan),
         until=lambda alive: not alive, timeout=10)

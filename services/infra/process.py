"""Engine processes by pid: spawn into their own session, record, check, stop.

A pid file records the pid and the process's start time (from /proc), so a pid reused by an
unrelated process after a crash is never mistaken for our engine and never signalled. Engines
run in their own session (process group == pid), so stopping one also stops what it spawned.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

POLL_INTERVAL = 0.1


@dataclass(frozen=True)
class PidRecord:
    """What a pid file holds: enough to tell our process from a later one with the same pid."""

    pid: int
    start_ticks: int | None
    command: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> PidRecord:
        data = json.loads(text)
        ticks = data.get("start_ticks")
        return cls(pid=int(data["pid"]), start_ticks=None if ticks is None else int(ticks),
                   command=str(data.get("command", "")))


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state letter, process group, start time in clock ticks) of `pid`, or None if no such pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[2]), int(fields[19])


def start_ticks(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return None if stat is None else stat[2]


def is_alive(record: PidRecord) -> bool:
    """True while the recorded process runs: same pid, same start time, not a zombie."""
    stat = _proc_stat(record.pid)
    if stat is None:
        if Path("/proc/self/stat").exists():
            return False
        try:  # no /proc: the best we can do is ask whether the pid exists
            os.kill(record.pid, 0)
        except OSError:
            return False
        return True
    state, _, ticks = stat
    if state in ("Z", "X"):
        _reap(record.pid)
        return False
    return record.start_ticks is None or ticks == record.start_ticks


def _reap(pid: int) -> None:
    """Collect our own exited child so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in `path`, or None when there is none or it is unreadable (a torn write)."""
    try:
        return PidRecord.from_json(path.read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_pid_file(path: Path, record: PidRecord) -> None:
    """Write atomically, so a crash mid-write never leaves half a pid file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(record.to_json())
    tmp.replace(path)


def spawn(argv: Sequence[str], *, log_file: Path, env: Mapping[str, str] | None = None,
          cwd: Path | None = None, die_with_parent: bool = False) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session with stdout and stderr appended to `log_file`.

    The engine must not inherit our stdout: a caller reading it (say `$(python -m ...)`)
    would otherwise wait for the engine to exit. With `die_with_parent` the kernel kills it
    if we die without stopping it (a test run killed with SIGKILL leaves no JVM behind);
    util-linux's setpriv sets that up, then execs the engine under the same pid.
    """
    setpriv = shutil.which("setpriv") if die_with_parent else None
    if setpriv:
        argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        return subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=None if env is None else dict(env),
                                cwd=cwd, start_new_session=True)


def record_of(proc: subprocess.Popen[bytes]) -> PidRecord:
    argv = proc.args if isinstance(proc.args, list) else [str(proc.args)]
    return PidRecord(pid=proc.pid, start_ticks=start_ticks(proc.pid),
                     command=" ".join(str(a) for a in argv)[:500])


def _group_members(leader: PidRecord) -> list[PidRecord]:
    """Live processes in the leader's process group (its session: what the engine spawned)."""
    members = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is not None and stat[1] == leader.pid and stat[0] not in ("Z", "X"):
            members.append(PidRecord(int(entry.name), stat[2], ""))
    return members


def _signal(record: PidRecord, sig: signal.Signals, *, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group:
            os.killpg(record.pid, sig)
        else:
            os.kill(record.pid, sig)


def _wait_gone(records: Sequence[PidRecord], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(is_alive(r) for r in records):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
    return True


def terminate(record: PidRecord, grace: float = 15.0) -> bool:
    """Stop the recorded process and its process group: SIGTERM, then SIGKILL after `grace` s.

    Returns False when there was nothing of ours to stop (already gone, or the pid was reused).
    Only the recorded process and members of its group seen while it ran are signalled.
    """
    if not is_alive(record):
        return False
    try:
        group = os.getpgid(record.pid) == record.pid
    except ProcessLookupError:
        return False
    members = [m for m in _group_members(record) if m.pid != record.pid] if group else []
    _signal(record, signal.SIGTERM, group=group)  # the leader is alive: the group is ours
    if not _wait_gone([record], grace) and is_alive(record):
        _signal(record, signal.SIGKILL, group=group)
        _wait_gone([record], 10.0)
    # Children that outlived the leader (say a Spark executor): checked by start time first.
    for member in members:
        if is_alive(member):
            _signal(member, signal.SIGKILL, group=False)
    _wait_gone(members, 5.0)
    return True


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log, for error messages."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"(empty log at {path})"

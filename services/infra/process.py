"""Engine processes by pid: spawn into their own session, record, check, stop.

A pid file records the pid and the process's creation time, so a pid reused by an unrelated
process after a crash is never mistaken for our engine and never signalled. Engines run in
their own session (process group == pid), so stopping one also stops what it spawned.
Processes are looked up through psutil, and any of them may exit at any moment: a process
that is gone when we reach it counts as stopped, never as an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from services.common.files import write_text_atomic
from services.common.polling import poll

POLL_INTERVAL = 0.1
# Creation times have clock-tick precision (10 ms on Linux); a pid reused by another
# process has a later one.
SAME_START = 0.005


@dataclass(frozen=True)
class PidRecord:
    """What a pid file holds: enough to tell our process from a later one with the same pid.

    `create_time` is psutil's creation time counted from boot (see `create_time()`), or None
    when it could not be read (then only the pid is checked).
    """

    pid: int
    create_time: float | None
    command: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> PidRecord:
        data = json.loads(text)
        started = data.get("create_time")
        if started is None and data.get("start_ticks") is not None:
            # A pid file written before psutil: clock ticks since boot, the same instant.
            started = round(int(data["start_ticks"]) / os.sysconf("SC_CLK_TCK"), 2)
        return cls(pid=int(data["pid"]), create_time=None if started is None else float(started),
                   command=str(data.get("command", "")))


def _since_boot(proc: psutil.Process) -> float:
    """psutil's create_time less the boot time: a later clock change (NTP stepping the
    clock) moves both, so a running engine is still recognised by its pid file."""
    return round(proc.create_time() - psutil.boot_time(), 2)


def create_time(pid: int) -> float | None:
    """When `pid` started, in seconds after boot; None when there is no such process."""
    try:
        return _since_boot(psutil.Process(pid))
    except psutil.Error:
        return None




def _find(record: PidRecord) -> psutil.Process | None:
    """The recorded process while it runs (same pid, same creation time, not a zombie)."""
    try:
        proc = psutil.Process(record.pid)
        if record.create_time is not None and \
                abs(_since_boot(proc) - record.create_time) > SAME_START:
            return None  # the pid now belongs to another process
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return None
    except psutil.Error:  # gone (NoSuchProcess), or not ours to inspect (AccessDenied)
        return None
    return proc


def is_alive(record: PidRecord) -> bool:
    """True while the recorded process runs: same pid, same start time, not a zombie."""
    return _find(record) is not None


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
    write_text_atomic(path, record.to_json())


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
    return PidRecord(pid=proc.pid, create_time=create_time(proc.pid),
                     command=" ".join(str(a) for a in argv)[:500])


def members(record: PidRecord) -> list[PidRecord]:
    """The recorded process and what it spawned, as records; empty once it is gone."""
    leader = _find(record)
    if leader is None:
        return []
    found = [record]
    for proc in _family(leader):
        with contextlib.suppress(psutil.Error):
            found.append(PidRecord(proc.pid, _since_boot(proc), ""))
    return found




def _family(leader: psutil.Process) -> list[psutil.Process]:
    """What `leader` spawned: its descendants, plus the rest of its process group when it
    leads one (a grandchild whose parent exited is re-parented, but stays in the group)."""
    found: dict[int, psutil.Process] = {}
    with contextlib.suppress(psutil.Error):
        found.update((p.pid, p) for p in leader.children(recursive=True))
    if _leads_group(leader):
        for proc in psutil.process_iter():
            with contextlib.suppress(OSError):
                if proc.pid != leader.pid and os.getpgid(proc.pid) == leader.pid:
                    found.setdefault(proc.pid, proc)
    return list(found.values())


def _leads_group(proc: psutil.Process) -> bool:
    try:
        return os.getpgid(proc.pid) == proc.pid
    except OSError:
        return False


def _signal(proc: psutil.Process, sig: signal.Signals, *, group: bool) -> None:
    """Signal one process (psutil refuses if its pid was reused) or, while it is alive and
    leads its group, the whole group; a process that just exited is not an error."""
    with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
        if group and proc.is_running():
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)


def wait_gone(procs: Iterable[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited (reaping our own children), at most `timeout`
    seconds; the ones still running. A zombie counts as gone: it holds no resources, and
    its parent, not us, may be the one to reap it."""
    alive = list(procs)

    def all_gone() -> bool:
        _, still = psutil.wait_procs(alive, timeout=0)  # reaps our own children
        alive[:] = [p for p in still if p.is_running() and not _is_zombie(p)]
        return not alive

    poll(all_gone, timeout=timeout, interval=POLL_INTERVAL)
    return alive


def _is_zombie(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True  # gone


def terminate(record: PidRecord, grace: float = 15.0) -> bool:
    """Stop the recorded process and its process group: SIGTERM, then SIGKILL after `grace` s.

    Returns False when there was nothing of ours to stop (already gone, or the pid was reused).
    What it spawned and outlives it (say a Spark executor) is killed afterwards; psutil
    checks each one's identity before signalling it.
    """
    leader = _find(record)
    if leader is None:
        return False
    group = _leads_group(leader)
    spawned = _family(leader)
    _signal(leader, signal.SIGTERM, group=group)
    if wait_gone([leader], grace):
        spawned += [p for p in _family(leader) if p not in spawned]  # since the snapshot
        _signal(leader, signal.SIGKILL, group=group)
        wait_gone([leader], 10.0)
    for proc in spawned:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    wait_gone(spawned, 5.0)
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

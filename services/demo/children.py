"""The demo's own child processes (jobs, producer, dashboards): spawned into their own
sessions, recorded in pid files, stopped by pid; leftovers of a crashed demo are found by
those pid files and stopped before a new demo starts."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.common.polling import poll
from services.infra import process


@dataclass
class Child:
    name: str
    log: Path
    record: process.PidRecord
    proc: subprocess.Popen

    def alive(self) -> bool:
        return self.proc.poll() is None  # our own child: poll() keeps its exit status

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()


@dataclass
class Children:
    """Started children in start order; stopped in reverse order."""

    run_dir: Path
    started: list[Child] = field(default_factory=list)

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def stop_leftovers(self) -> list[str]:
        """Stop what a crashed demo left running (only processes recorded by a demo)."""
        stopped = []
        for pid_file in sorted(self.run_dir.glob("*.pid")):
            record = process.read_pid_file(pid_file)
            if record is not None and process.terminate(record, grace=10.0):
                stopped.append(f"{pid_file.stem} (pid {record.pid})")
            pid_file.unlink(missing_ok=True)
        return stopped

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str],
              log: Path) -> Child:
        proc = process.spawn(argv, log_file=log, env=env)
        child = Child(name, log, process.record_of(proc), proc)
        process.write_pid_file(self.pid_file(name), child.record)
        self.started.append(child)
        return child

    def forget(self, child: Child) -> None:
        """A child that finished on its own (the batch job)."""
        self.started.remove(child)
        self.pid_file(child.name).unlink(missing_ok=True)

    def dead(self) -> list[Child]:
        return [c for c in self.started if not c.alive()]

    def stop_all(self, grace: float = 20.0) -> None:
        for child in reversed(self.started):
            process.terminate(child.record, grace=grace)
            self.pid_file(child.name).unlink(missing_ok=True)
        self.started.clear()


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    """True once `check()` holds, False after `timeout` seconds."""
    return poll(check, timeout=timeout, interval=0.5) is not None

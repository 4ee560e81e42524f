"""The producer as users run it (its script, in a subprocess) and a broker a test may stop and
start again."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.common.paths import PACKAGE
from services.infra import net
from services.infra.kafka import Kafka

SCRIPT = PACKAGE / "event-generator" / "kafka_event_producer.py"


@dataclass
class Running:
    """The producer script running in a subprocess, its output going to files that a test
    can read while it runs."""

    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def finish(self, timeout: float = 120.0) -> tuple[int, str, str]:
        """Wait for the exit: (exit code, stdout, stderr); killed if it does not end."""
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return code, self.out.read_text(), self.stderr()


def start_script(args: Sequence[str], cwd: Path) -> Running:
    """The producer as users run it: the script, from another folder."""
    out, err = cwd / f"producer-{uuid.uuid4().hex[:6]}.out", cwd / "producer.err"
    err = err.with_name(out.stem + ".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), *args], cwd=cwd, stdout=stdout,
                                stderr=stderr)
    return Running(proc, out, err)


def totals_of(stdout: str) -> dict[str, float]:
    """The key=value pairs of the producer's totals line."""
    line = next(x for x in stdout.splitlines() if x.startswith("totals:"))
    pairs = (item.split("=", 1) for item in line.removeprefix("totals:").split())
    return {key: float(value.removesuffix("/s")) for key, value in pairs}


@dataclass
class PrivateBroker:
    """A broker of one test, on a fixed port and state folder, so it can be stopped while a
    producer sends and started again as the same broker."""

    state_dir: Path
    port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"{net.HOST}:{self.port}"

    def start(self) -> None:
        Kafka(self.state_dir, port=self.port).start()

    def stop(self) -> None:
        Kafka(self.state_dir, port=self.port).stop()

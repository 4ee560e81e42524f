"""The life cycle shared by every engine: state folder, pid files, logs, start once, wait
until ready, stop by pid; the engine modules only say what to launch and when it is ready.

Two ways to run the same launch: `start()` spawns every daemon on this machine (loopback,
free ports; `make demo` and the tests), and `run(daemon)` execs one daemon in the foreground
on its well-known ports, reached by its container's host name (one daemon per container in
the Compose stacks); `probe(daemon)` is that container's healthcheck.

State folder layout: `conf/` (rendered config), `logs/<daemon>.log`, `run/<daemon>.pid`,
`run/details.json` (connection details, written once ready), plus the engine's own data.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import time
from abc import ABC
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Generic, NoReturn, TypeVar

from services.common.polling import poll
from services.infra import net, process
from services.infra.errors import EngineStartError, PortRaceError

POLL_INTERVAL = 0.2
PORT_ATTEMPTS = 3  # free ports picked by us may be taken before the JVM binds them: retry
BIND_FAILURE = "Address already in use"
T = TypeVar("T")


@dataclass(frozen=True)
class Network:
    """Where daemons listen, and the host name each daemon is reached by (default: `bind`)."""

    bind: str = net.HOST
    names: Mapping[str, str] = field(default_factory=dict)

    def host(self, daemon: str) -> str:
        return self.names.get(daemon, self.bind)


LOOPBACK = Network()
ANY_ADDRESS = "0.0.0.0"


@dataclass(frozen=True)
class Details:
    """Connection details of a running engine; subclasses add the fields."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Details:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


D = TypeVar("D", bound=Details)


@dataclass(frozen=True)
class Status(Generic[D]):
    engine: str
    state_dir: Path
    running: bool
    pids: dict[str, int]
    details: D | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"engine": self.engine, "running": self.running,
                               "state_dir": str(self.state_dir), "pids": self.pids}
        if self.details is not None:
            out.update(self.details.to_dict())
        return out


class Engine(ABC, Generic[D]):
    """One engine (one or more daemons) kept in one state folder."""

    name: ClassVar[str]
    daemons: ClassVar[tuple[str, ...]]  # start order; stopped in reverse
    details_type: ClassVar[type[Details]]
    start_timeout: ClassVar[float] = 60.0
    stop_grace: ClassVar[float] = 15.0
    # Ports by purpose, the main one first, with the port each has in a container.
    well_known_ports: ClassVar[Mapping[str, int]] = {}
    # The host name of each daemon's container in the Compose stacks (its service name).
    service_hosts: ClassVar[Mapping[str, str]] = {}
    # A daemon spawned only once another is ready (it would otherwise back off and retry).
    start_after: ClassVar[Mapping[str, str]] = {}

    def __init__(self, state_dir: Path | str, *, port: int | None = None,
                 ports: Mapping[str, int] | None = None, timeout: float | None = None,
                 env: Mapping[str, str] | None = None, die_with_caller: bool = False,
                 network: Network = LOOPBACK) -> None:
        """`port` is the engine's main port; `ports` may fix others by purpose (say the demo's
        well-known UI ports); the rest are free ports picked at start. `die_with_caller`
        (for test sessions) has the kernel kill the daemons if this process dies first."""
        self.state_dir = Path(state_dir).resolve()
        self.port = port
        self.fixed_ports = dict(ports or {})
        self.timeout = self.start_timeout if timeout is None else timeout
        self.env: dict[str, str] = dict(os.environ if env is None else env)
        self.die_with_caller = die_with_caller
        self.network = network
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._deadline = 0.0

    # --- paths -------------------------------------------------------------------------
    @property
    def conf_dir(self) -> Path:
        return self.state_dir / "conf"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    def log_file(self, daemon: str) -> Path:
        return self.state_dir / "logs" / f"{daemon}.log"

    def pid_file(self, daemon: str) -> Path:
        return self.run_dir / f"{daemon}.pid"

    @property
    def details_file(self) -> Path:
        return self.run_dir / "details.json"

    # --- public life cycle ---------------------------------------------------------------
    def status(self) -> Status[D]:
        """Running means every daemon's recorded process is alive and details were written."""
        pids = {d: r.pid for d, r in self.records().items() if process.is_alive(r)}
        details = self._read_details()
        running = details is not None and set(pids) == set(self.daemons)
        return Status(self.name, self.state_dir, running, pids, details if running else None)

    def start(self) -> tuple[Status[D], bool]:
        """Start the engine and wait until it is ready; returns (status, already_running).

        A running engine is left alone. Leftovers of a crashed caller (stale pid files, or
        some daemons still up) are stopped first, by their recorded pids.
        """
        with self._locked():
            status = self.status()
            if status.running:
                return status, True
            self._stop_recorded()
            self._deadline = time.monotonic() + self.timeout
            details = self._launch_retrying_port_races()
            self.details_file.write_text(json.dumps(details.to_dict(), indent=2) + "\n")
            return self.status(), False

    def _launch_retrying_port_races(self) -> D:
        """Launch; on failure stop what started. Ports we picked ourselves may be taken before
        a slow JVM binds them: then pick new ones and try again."""
        attempt = 1
        while True:
            try:
                return self._launch()
            except PortRaceError:
                self._stop_recorded()
                if attempt == PORT_ATTEMPTS or self.port is not None or self.fixed_ports:
                    raise
                attempt += 1
            except BaseException:
                self._stop_recorded()
                raise
            finally:
                self._procs.clear()

    def run(self, daemon: str) -> NoReturn:
        """Foreground mode (one daemon per container): render the config for the well-known
        ports and container host names, prepare (format storage once), then exec the daemon,
        its log on stdout."""
        ports = self._container_mode(daemon)
        self._deadline = time.monotonic() + self.timeout
        self._configure(ports)
        self._prepare(daemon, ports)
        argv, env = self._command(daemon, ports)
        os.execvpe(argv[0], list(argv), dict(self.env if env is None else env))

    def probe(self, daemon: str) -> bool:
        """Whether `daemon` of a container-mode engine is ready (the container healthcheck)."""
        return bool(self._probe(daemon, self._container_mode(daemon)))

    def _container_mode(self, daemon: str) -> dict[str, int]:
        if daemon not in self.daemons:
            raise ValueError(f"{self.name} has no daemon {daemon!r}; it has {list(self.daemons)}")
        own = {daemon: socket.gethostname()}
        self.network = Network(ANY_ADDRESS, {**self.service_hosts, **own})
        ports = {**self.well_known_ports, **self.fixed_ports}
        if self.port is not None:
            ports[next(iter(self.well_known_ports))] = self.port
        return ports

    def stop(self) -> list[int]:
        """Stop what this state folder recorded; the pids stopped (none: nothing was running)."""
        with self._locked():
            return self._stop_recorded()

    def records(self) -> dict[str, process.PidRecord]:
        """The pid files' records by daemon, live or not (to check later that all are gone)."""
        records = {}
        for daemon in self.daemons:
            record = process.read_pid_file(self.pid_file(daemon))
            if record is not None:
                records[daemon] = record
        return records

    # --- for engine modules --------------------------------------------------------------
    def _launch(self) -> D:
        """Render config, spawn the daemons in order (each after the one it needs is ready),
        then wait until all are ready."""
        names = self._port_names()
        ports = self._ports(names[0], names[1:])
        self._configure(ports)
        for daemon in self.daemons:
            needed = self.start_after.get(daemon)
            if needed is not None:
                self._wait_for(f"the {needed}", lambda d=needed: self._probe(d, ports))
            self._prepare(daemon, ports)
            self._spawn(daemon, *self._command(daemon, ports))
        for daemon in self.daemons:
            self._wait_for(f"the {daemon}", lambda d=daemon: self._probe(d, ports))
        return self._details(ports)

    def _port_names(self) -> list[str]:
        """The ports this engine needs, by purpose, the main one first."""
        return list(self.well_known_ports)

    def _configure(self, ports: Mapping[str, int]) -> None:
        """Write the config files every daemon reads."""
        raise NotImplementedError

    def _prepare(self, daemon: str, ports: Mapping[str, int]) -> None:
        """One-shot work before `daemon` starts (formatting storage, say); none by default."""

    def _command(self, daemon: str, ports: Mapping[str, int]
                 ) -> tuple[list[str], Mapping[str, str] | None]:
        """The argv of `daemon`, and its environment (None: the engine's)."""
        raise NotImplementedError

    def _probe(self, daemon: str, ports: Mapping[str, int]) -> bool:
        """Whether `daemon` is ready."""
        raise NotImplementedError

    def _details(self, ports: Mapping[str, int]) -> D:
        raise NotImplementedError

    def _ports(self, main: str, others: Sequence[str]) -> dict[str, int]:
        """Ports by purpose: `main` is --port, others as fixed, the rest free; all checked."""
        unknown = set(self.fixed_ports) - {main, *others}
        if unknown:
            raise ValueError(f"{self.name} has no port named {sorted(unknown)}; "
                             f"it has {[main, *others]}")
        chosen = dict(self.fixed_ports)
        if self.port is not None:
            chosen[main] = self.port
        missing = [p for p in (main, *others) if p not in chosen]
        chosen.update(zip(missing, net.free_ports(len(missing)), strict=True))
        net.require_free({f"{self.name} {purpose}": port for purpose, port in chosen.items()})
        return chosen

    def _spawn(self, daemon: str, argv: Sequence[str],
               env: Mapping[str, str] | None = None) -> None:
        """Start `daemon` in the background, its output in its log file."""
        log = self.log_file(daemon)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as handle:
            handle.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {daemon}: "
                         f"{' '.join(argv)}\n")
        proc = process.spawn(argv, log_file=log, env=self.env if env is None else env,
                             cwd=self.state_dir, die_with_parent=self.die_with_caller)
        self._procs[daemon] = proc
        process.write_pid_file(self.pid_file(daemon), process.record_of(proc))

    def _run_tool(self, what: str, argv: Sequence[str], log_name: str) -> None:
        """Run a one-shot command (say, formatting storage) to completion within the deadline."""
        log = self.log_file(log_name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            try:
                code = subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=handle,
                                      stderr=subprocess.STDOUT, env=self.env, cwd=self.state_dir,
                                      timeout=max(1.0, self._deadline - time.monotonic()),
                                      check=False).returncode
            except subprocess.TimeoutExpired:
                code = None
        if code != 0:
            result = "timed out" if code is None else f"failed (exit code {code})"
            raise EngineStartError(f"{self.name}: {what} {result}; last lines of {log}:\n"
                                   f"{process.log_tail(log)}")

    def _wait_for(self, what: str, check: Callable[[], T | None]) -> T:
        """Poll `check` until it returns a value; fail fast if a daemon exits, or at the
        deadline, with the tail of each daemon's log."""
        def ready() -> T | None:
            value = check()
            if value is None or value is False:
                self._fail_if_a_daemon_exited(what)
            return value

        value = poll(ready, timeout=self._deadline - time.monotonic(), interval=POLL_INTERVAL)
        if value is None:
            raise EngineStartError(
                f"{self.name}: not ready after {self.timeout:.0f} s (waiting for {what}).\n"
                f"{self._tails(list(self._procs))}")
        return value

    def _fail_if_a_daemon_exited(self, what: str) -> None:
        for daemon, proc in self._procs.items():
            code = proc.poll()
            if code is not None:
                tail = self._tails([daemon])
                error = PortRaceError if BIND_FAILURE in tail else EngineStartError
                raise error(f"{self.name}: {daemon} exited with code {code} while waiting "
                            f"for {what}.\n{tail}")

    # --- internals -----------------------------------------------------------------------
    def _tails(self, daemons: Sequence[str]) -> str:
        return "\n".join(f"--- last lines of {self.log_file(d)} ---\n"
                         f"{process.log_tail(self.log_file(d))}" for d in daemons)

    def _read_details(self) -> D | None:
        try:
            data = json.loads(self.details_file.read_text())
        except (OSError, ValueError):
            return None
        try:
            return self.details_type.from_dict(data)  # type: ignore[return-value]
        except TypeError:
            return None

    def _stop_recorded(self) -> list[int]:
        stopped = []
        for daemon in reversed(self.daemons):
            record = process.read_pid_file(self.pid_file(daemon))
            if record is not None and process.terminate(record, self.stop_grace):
                stopped.append(record.pid)
            self.pid_file(daemon).unlink(missing_ok=True)
        self.details_file.unlink(missing_ok=True)
        return stopped

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One start or stop at a time per state folder (two terminals, one demo)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / "lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

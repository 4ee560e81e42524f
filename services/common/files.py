"""Files and folders that appear whole, and the temporary names they are made under.

A reader never sees half a file or half a folder under its final name: each is written under
a temporary name beside its target, then renamed. Every temporary name follows one scheme,
`.<name>.<tag>-<pid>@<host>-<token>`: hidden (every reader of a folder skips names starting
with `.`), and naming the process that made it, so that a later run on the same host can tell
what a dead run left behind (`is_leftover`) and remove it (`remove_leftovers`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import psutil

_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<tag>[a-z]+)-(?P<pid>\d+)@(?P<host>[^@/]+)"
                        r"-[0-9a-f]{12}")


def _host() -> str:
    return socket.gethostname().replace("/", "_").replace("@", "_") or "localhost"


def temporary_name(name: str, tag: str = "tmp") -> str:
    """A hidden name for a temporary `name`, unique to this attempt and this process."""
    return f".{name}.{tag}-{os.getpid()}@{_host()}-{uuid.uuid4().hex[:12]}"


def temporary_sibling(path: str, tag: str = "tmp") -> str:
    """`temporary_name` beside a `/`-separated path (local, HDFS or Hadoop URI)."""
    head, sep, name = path.rstrip("/").rpartition("/")
    return f"{head}{sep}{temporary_name(name, tag)}"


def is_leftover(name: str) -> bool:
    """Whether `name` is a temporary name of a process of this host that no longer runs."""
    match = _TEMPORARY.fullmatch(name)
    return (match is not None and match["host"] == _host()
            and not psutil.pid_exists(int(match["pid"])))


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove what dead runs left in `folder` (temporary files and folders, by name)."""
    removed = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if is_leftover(path.name):
                remove(path)
                removed.append(path)
    return removed


def remove(path: Path) -> None:
    """A file or a whole folder; nothing when it is not there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def naming_write_errors(path: Path | str) -> Iterator[None]:
    """An OSError of the block that names no file (a full disk, a file size limit: a write
    says only "No space left on device") is raised again naming `path`."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        if exc.errno is not None:
            raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
        raise OSError(f"{exc}: {str(path)!r}") from exc


@contextmanager
def atomic_path(path: Path, tag: str = "tmp") -> Iterator[Path]:
    """A temporary name beside `path` to write to; renamed to `path` when the block ends
    without error, removed when it raises (an error that names no file then names `path`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(temporary_name(path.name, tag))
    try:
        with naming_write_errors(path):
            yield temp
        os.replace(temp, path)
    finally:
        remove(temp)


@contextmanager
def scratch_folder(beside: Path, tag: str = "scratch") -> Iterator[Path]:
    """A temporary folder beside `beside` (on the same disk), removed when the block ends."""
    folder = beside.with_name(temporary_name(beside.name, tag))
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        remove(folder)


def write_text_atomic(path: Path, text: str) -> None:
    """`text` in `path` (UTF-8), complete or not at all, readable by every user (the
    dashboards may run as another one)."""
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")
        os.chmod(temp, 0o644)


def write_json_atomic(path: Path, payload: Any) -> None:
    write_text_atomic(path, json.dumps(payload, indent=1, default=str))


class FolderStore(Protocol):
    """What a folder swap needs of a file system (local, WebHDFS, Hadoop's)."""

    def exists(self, path: str) -> bool: ...

    def rename(self, source: str, target: str) -> None: ...

    def delete(self, path: str) -> None: ...


def swap_folder(store: FolderStore, staged: str, final: str) -> None:
    """Put a fully written folder in place of `final`: readers see the old folder or the new
    one, never a mix (between the two renames, for a moment, neither)."""
    retired = None
    if store.exists(final):
        retired = temporary_sibling(final, "old")
        store.rename(final, retired)
    store.rename(staged, final)
    if retired is not None:
        store.delete(retired)

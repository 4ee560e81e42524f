"""Where a folder of part files is written: the local disk, or HDFS through WebHDFS.

Both the Spark driver (check, commit) and the executors (write parts) use these stores, so an
executor needs no Hadoop client of its own: only Python and the `hdfs` package's HTTP client.
Every file is written under a hidden name and renamed when complete, and a folder appears
by one rename: a reader never sees a half-written file or folder under its final name.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

from services.common.cli import UsageError

WEBHDFS_PORT = 9870  # the NameNode's HTTP port in Hadoop 3


class Store(Protocol):
    """A file system seen as paths (local paths, or absolute HDFS paths)."""

    def exists(self, path: str) -> bool: ...

    def makedirs(self, path: str) -> None: ...

    def create(self, path: str) -> AbstractContextManager[BinaryIO]: ...

    def rename(self, source: str, target: str) -> None: ...

    def delete(self, path: str) -> None: ...

    def list(self, path: str) -> list[str]: ...


def write_bytes(store: Store, path: str, data: bytes) -> None:
    """A small file, complete or not at all (the store's create renames when done)."""
    with store.create(path) as out:
        out.write(data)


def hidden_sibling(path: str, tag: str) -> str:
    """A name beside `path` that readers skip (a leading dot), unique to this attempt."""
    head, _, name = path.rstrip("/").rpartition("/")
    return f"{head}/.{name}.{tag}-{uuid.uuid4().hex[:12]}" if head else \
        f".{name}.{tag}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class LocalStore:
    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def makedirs(self, path: str) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    @contextmanager
    def create(self, path: str) -> Iterator[BinaryIO]:
        temp = hidden_sibling(path, "part")
        try:
            with open(temp, "wb") as out:
                yield out
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)

    def rename(self, source: str, target: str) -> None:
        os.rename(source, target)

    def delete(self, path: str) -> None:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            Path(path).unlink(missing_ok=True)

    def list(self, path: str) -> list[str]:
        return sorted(os.listdir(path))


class _Upload:
    """A file object that streams to one WebHDFS create request from a thread, through a
    short queue: the writer waits for the network instead of piling blocks up in memory
    (the `hdfs` package's own writer queues without bound)."""

    DEPTH = 4

    def __init__(self, client, path: str) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=self.DEPTH)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._send, args=(client, path),
                                       name="webhdfs-upload", daemon=True)
        self.thread.start()

    def _chunks(self) -> Iterator[bytes]:
        while (chunk := self.queue.get()) is not None:
            yield chunk

    def _send(self, client, path: str) -> None:
        try:
            client.write(path, data=self._chunks(), overwrite=True)
        except BaseException as exc:  # re-raised in the writing thread
            self.error = exc
            while self.queue.get() is not None:  # keep the writer from blocking
                pass

    def write(self, data) -> int:
        if self.error is not None:
            raise self.error
        chunk = data if isinstance(data, bytes) else memoryview(data).tobytes()
        self.queue.put(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


@dataclass(frozen=True)
class WebHdfsStore:
    """HDFS through the NameNode's WebHDFS API (data streams to the DataNodes over HTTP)."""

    url: str
    user: str | None = None

    def client(self):
        from hdfs import InsecureClient  # only where HDFS is written

        return InsecureClient(self.url, user=self.user)

    def exists(self, path: str) -> bool:
        return self.client().status(path, strict=False) is not None

    def makedirs(self, path: str) -> None:
        self.client().makedirs(path)

    @contextmanager
    def create(self, path: str) -> Iterator[BinaryIO]:
        client = self.client()
        temp = hidden_sibling(path, "part")
        upload = _Upload(client, temp)
        try:
            try:
                yield upload
            finally:
                upload.close()
            if client.status(path, strict=False) is not None:
                client.delete(path)  # an earlier attempt of the same task
            client.rename(temp, path)
        finally:
            client.delete(temp)

    def rename(self, source: str, target: str) -> None:
        self.client().rename(source, target)

    def delete(self, path: str) -> None:
        self.client().delete(path, recursive=True)

    def list(self, path: str) -> list[str]:
        return sorted(self.client().list(path))


@dataclass(frozen=True)
class Target:
    """An output folder: its store and its path in that store."""

    store: Store
    path: str
    uri: str

    @property
    def on_hdfs(self) -> bool:
        return isinstance(self.store, WebHdfsStore)


def resolve_target(out: str, *, use_hdfs: bool = False,
                   namenode: str = "hdfs://namenode:8020", webhdfs: str | None = None,
                   user: str | None = None) -> Target:
    """`--out` as the batch job reads paths: hdfs:// URIs are HDFS; a path without a scheme
    is local, unless USE_HDFS is true (then it is on HDFS_NAMENODE_URI)."""
    parsed = urlparse(out)
    if parsed.scheme in ("", "file"):
        if parsed.scheme == "" and use_hdfs:
            if not out.startswith("/"):
                raise UsageError(f"--out {out}: with USE_HDFS=true the folder must be an "
                                 "absolute HDFS path such as /data/input/orders")
            return resolve_target(namenode.rstrip("/") + out, webhdfs=webhdfs, user=user)
        local = os.path.abspath(parsed.path if parsed.scheme else out)
        return Target(LocalStore(), local, Path(local).as_uri())
    if parsed.scheme != "hdfs":
        raise UsageError(f"--out {out}: accepted are local folders and hdfs:// URIs, "
                         f"not {parsed.scheme}://")
    if not parsed.hostname or parsed.path.rstrip("/") in ("", "/"):
        raise UsageError(f"--out {out}: an HDFS folder needs a NameNode and a path, "
                         "as in hdfs://namenode:8020/data/input/orders")
    url = webhdfs or f"http://{parsed.hostname}:{WEBHDFS_PORT}"
    return Target(WebHdfsStore(url.rstrip("/"), user), parsed.path.rstrip("/"),
                  out.rstrip("/"))

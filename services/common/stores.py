"""File systems seen as paths: the local disk, or HDFS through WebHDFS.

The generator's Spark engine (its driver and its executors) and the HDFS loader write through
these stores, so an executor needs no Hadoop client of its own: only Python and the `hdfs`
package's HTTP client. Every file is written under a temporary name (services.common.files)
and renamed when complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from services.common.files import naming_write_errors, remove, temporary_sibling
from services.common.writer import BoundedWriter


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


@dataclass(frozen=True)
class LocalStore:
    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def makedirs(self, path: str) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    @contextmanager
    def create(self, path: str) -> Iterator[BinaryIO]:
        temp = temporary_sibling(path, "part")
        try:
            with naming_write_errors(path), open(temp, "wb") as out:
                yield out
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)

    def rename(self, source: str, target: str) -> None:
        os.rename(source, target)

    def delete(self, path: str) -> None:
        remove(Path(path))

    def list(self, path: str) -> list[str]:
        return sorted(os.listdir(path))


class _Upload:
    """A file object that streams to one WebHDFS create request from a bounded writer thread
    (services.common.writer): the writer waits for the network instead of piling blocks up
    in memory (the `hdfs` package's own writer queues without bound)."""

    DEPTH = 4

    def __init__(self, client, path: str) -> None:
        self.writer = BoundedWriter(
            lambda chunks: client.write(path, data=chunks, overwrite=True), self.DEPTH,
            "webhdfs-upload")

    def write(self, data) -> int:
        chunk = data if isinstance(data, bytes) else memoryview(data).tobytes()
        self.writer.write(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.writer.close()


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
        temp = temporary_sibling(path, "part")
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

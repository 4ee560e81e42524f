"""Where the generator's Spark engine writes its folder of parts: `--out` as the batch job
reads paths, on the local disk or on HDFS through WebHDFS (services.common.stores)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from services.common.cli import UsageError
from services.common.stores import LocalStore, Store, WebHdfsStore

WEBHDFS_PORT = 9870  # the NameNode's HTTP port in Hadoop 3


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

"""Load the extracts of a local folder into an HDFS folder over WebHDFS (the batch stack's
HDFS loader: the canonical dataset lives on HDFS).

    python services/batch/load_hdfs.py [--source DIR] [--dest /data/input]
        [--webhdfs http://namenode:9870] [--wait SECONDS]

Waits until HDFS takes writes, uploads the files of the extract (services.extracts: CSV,
JSONL, optionally gzip, Parquet and Avro, subfolders kept) and the generator's entity tables
(`_entities/`, to join on their keys on HDFS as locally) into a staging folder, then swaps
the staging folder in for `--dest`, so the batch job never sees a half-loaded folder and a
second load replaces the first. Other files are skipped, each named in a warning.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from services.common import settings as s
from services.common.cli import ArgumentParser, UsageError, configure_logging
from services.common.files import swap_folder, temporary_sibling
from services.common.polling import poll
from services.common.stores import WebHdfsStore
from services.extracts import ACCEPTED, local_listing, warn_skipped

log = logging.getLogger("load_hdfs")
POLL_SECONDS = 1.0
CHUNK_BYTES = 1 << 20  # of a file, per WebHDFS write


def wait_writable(store: WebHdfsStore, folder: str, timeout: float) -> None:
    """Poll until the NameNode takes a mkdir (up, a DataNode live, out of safe mode)."""
    last: list[Exception] = []

    def writable() -> bool:
        try:
            store.makedirs(folder)
            return store.exists(folder)
        except Exception as exc:  # connection refused, safe mode, no DataNode yet
            last[:] = [exc]
            return False

    if poll(writable, timeout=timeout, interval=POLL_SECONDS) is None:
        raise RuntimeError(f"HDFS did not take writes within {timeout:.0f} s: {last[0]}")


def load(store: WebHdfsStore, source: Path, files: Sequence[Path], dest: str) -> None:
    """Upload `files` (under `source`) into a staging folder beside `dest`, at the same
    paths below it, then swap it in (services.common.files); a failed load leaves `dest`
    as it was."""
    staging = temporary_sibling(dest, "loading")
    store.makedirs(staging)
    try:
        for path in files:
            relative = path.relative_to(source).as_posix()
            with path.open("rb") as data, store.create(f"{staging}/{relative}") as out:
                shutil.copyfileobj(data, out, CHUNK_BYTES)
            log.info("loaded %s (%d bytes)", relative, path.stat().st_size)
        swap_folder(store, staging, dest)
    except BaseException:
        store.delete(staging)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="load_hdfs.py", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/opt/spark-data/input"),
                        help="local folder of extracts (default: /opt/spark-data/input)")
    parser.add_argument("--dest", default="/data/input", help="HDFS folder (default: /data/input)")
    parser.add_argument("--webhdfs", default="http://namenode:9870",
                        help="the NameNode's HTTP address (default: http://namenode:9870)")
    parser.add_argument("--wait", type=float, default=180.0,
                        help="seconds to wait for HDFS to take writes (default: 180)")
    parser.add_argument("--allow-empty", action="store_true",
                        help="no extracts in --source: leave HDFS as it is and exit 0 (the "
                             "generator's Spark engine wrote the input to HDFS itself)")
    parser.add_argument("--log-level", default=s.value(s.LOG_LEVEL, os.environ))
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    if not args.dest.startswith("/") or args.dest.rstrip("/") == "":
        raise UsageError(f"--dest must be an absolute HDFS folder below /, got {args.dest!r}")
    if not args.source.is_dir():
        raise UsageError(f"--source {args.source} is not a folder")
    listing = local_listing(args.source)
    warn_skipped(str(p) for p in listing.skipped)
    files = listing.extracts
    if not files and args.allow_empty:
        log.info("no extracts in %s: hdfs:%s left as it is", args.source, args.dest)
        return 0
    if not files:
        raise UsageError(f"no extracts ({ACCEPTED}) in {args.source}: "
                         "generate some first")
    store = WebHdfsStore(args.webhdfs)  # as the current user
    wait_writable(store, args.dest.rstrip("/").rsplit("/", 1)[0] or "/", args.wait)
    load(store, args.source, [*files, *listing.tables], args.dest.rstrip("/"))
    log.info("%d extract(s) and %d entity table(s) in hdfs:%s", len(files),
             len(listing.tables), args.dest)
    return 0

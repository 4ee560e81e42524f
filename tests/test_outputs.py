"""Reading a Spark file sink through its commit log, where the folder is now: the log keeps
the writer's absolute paths (a container's /opt/... when the host reads a bind mount)."""

from __future__ import annotations

import json
from pathlib import Path

from services.outputs import committed_parquet_files


def write_log(sink: Path, batch: str, *paths: str, action: str = "add") -> None:
    log = sink / "_spark_metadata"
    log.mkdir(parents=True, exist_ok=True)
    lines = ["v1", *(json.dumps({"path": p, "size": 1, "isDir": False, "action": action})
                     for p in paths)]
    (log / batch).write_text("\n".join(lines) + "\n")


def test_files_written_elsewhere_are_found_under_the_folder_read(tmp_path):
    sink = tmp_path / "mounted" / "revenue"
    (sink / "day=2025-01-01").mkdir(parents=True)
    for name in ("a.parquet", "b.parquet", "day=2025-01-01/c.parquet", "stray.parquet"):
        (sink / name).write_bytes(b"x")
    write_log(sink, "0", "file:///opt/spark-data/output/revenue/a.parquet")
    write_log(sink, "1", "file:///opt/spark-data/output/revenue/b.parquet",
              "file:///opt/spark-data/output/revenue/day=2025-01-01/c.parquet")
    write_log(sink, "2", "file:///opt/spark-data/output/revenue/b.parquet", action="delete")
    assert sorted(p.relative_to(sink).as_posix() for p in committed_parquet_files(sink)) == [
        "a.parquet", "day=2025-01-01/c.parquet"]


def test_files_at_their_recorded_place_are_read_there(tmp_path):
    sink = tmp_path / "revenue"
    sink.mkdir()
    (sink / "a.parquet").write_bytes(b"x")
    write_log(sink, "0", (sink / "a.parquet").as_uri(), "file:///gone/revenue/missing.parquet")
    assert committed_parquet_files(sink) == [sink / "a.parquet"]


def test_the_newest_compact_entry_and_the_batches_after_it_list_the_committed_files(tmp_path):
    """Spark folds the log into `<n>.compact` every few batches (dropping what was deleted);
    the files are those of the newest compact entry plus the batches after it, not of the
    entries before it."""
    sink = tmp_path / "revenue"
    sink.mkdir()
    for name in "abcdefx":
        (sink / f"{name}.parquet").write_bytes(b"x")

    def at(*names: str) -> list[str]:
        return [(sink / f"{n}.parquet").as_uri() for n in names]

    write_log(sink, "0", *at("a", "x"))
    write_log(sink, "1", *at("b"))
    write_log(sink, "2.compact", *at("a", "b", "c"))  # x deleted before the compaction
    write_log(sink, "3", *at("d"))
    write_log(sink, "4", *at("e"))
    assert sorted(p.name for p in committed_parquet_files(sink)) == [
        f"{n}.parquet" for n in "abcde"]
    write_log(sink, "5.compact", *at("a", "c", "d", "e"))  # b deleted in the meantime
    write_log(sink, "6", *at("f"))
    assert sorted(p.name for p in committed_parquet_files(sink)) == [
        f"{n}.parquet" for n in "acdef"]

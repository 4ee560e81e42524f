"""Files that appear whole: temporary names a later run can recognise, atomic writes, folder
swaps, and the bounded writer thread."""

from __future__ import annotations

import json
import os
import threading

import pytest

from services.common import files
from services.common.stores import LocalStore
from services.common.writer import BoundedWriter
from tests.processes import dead_pid


def test_temporary_names_are_hidden_unique_and_name_their_process():
    first, second = files.temporary_name("orders.csv"), files.temporary_name("orders.csv")
    assert first != second and first.startswith(".orders.csv.tmp-")
    assert f"-{os.getpid()}@" in first
    assert files.temporary_sibling("hdfs://nn:8020/data/input/", "old").startswith(
        "hdfs://nn:8020/data/.input.old-")
    assert files.temporary_sibling("input").startswith(".input.tmp-")


def test_only_a_dead_run_of_this_host_leaves_leftovers(tmp_path):
    mine = files.temporary_name("a.csv")
    dead = mine.replace(f"-{os.getpid()}@", f"-{dead_pid()}@")
    elsewhere = dead.replace(f"@{files._host()}-", "@some-other-host-")
    assert not files.is_leftover(mine)
    assert files.is_leftover(dead)
    assert not files.is_leftover(elsewhere)
    assert not files.is_leftover(".a.csv.tmp")  # not our scheme: never touched
    for name in (mine, dead, elsewhere, "a.csv", ".a.csv.tmp"):
        (tmp_path / name).write_text("x")
    (tmp_path / dead.replace("a.csv", "folder")).mkdir()
    removed = files.remove_leftovers(tmp_path)
    assert sorted(p.name for p in removed) == sorted([dead, dead.replace("a.csv", "folder")])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [mine, elsewhere, "a.csv", ".a.csv.tmp"])


def test_an_atomic_write_leaves_the_old_file_or_the_new_one_and_no_temporary(tmp_path):
    target = tmp_path / "deep" / "report.json"
    files.write_json_atomic(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert target.stat().st_mode & 0o777 == 0o644
    with pytest.raises(RuntimeError), files.atomic_path(target) as temp:
        temp.write_text("half")
        raise RuntimeError("crash")
    assert json.loads(target.read_text()) == {"a": 1}
    assert os.listdir(target.parent) == ["report.json"]


def test_a_scratch_folder_is_removed_whatever_happens(tmp_path):
    with pytest.raises(KeyError), files.scratch_folder(tmp_path / "out.csv") as scratch:
        (scratch / "x").write_text("x")
        raise KeyError
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("existing", [True, False])
def test_a_folder_swap_replaces_the_whole_folder(tmp_path, existing):
    final, staged = tmp_path / "out", tmp_path / ".out.new"
    if existing:
        final.mkdir()
        (final / "old.csv").write_text("old")
    staged.mkdir()
    (staged / "new.csv").write_text("new")
    files.swap_folder(LocalStore(), str(staged), str(final))
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in final.iterdir()] == ["new.csv"]


def test_the_bounded_writer_consumes_in_order_on_its_own_thread():
    seen, threads = [], set()

    def consume(items):
        for item in items:
            seen.append(item)
            threads.add(threading.current_thread().name)

    writer = BoundedWriter(consume, depth=2, name="test-writer")
    for i in range(100):
        writer.write(i)
    writer.close()
    assert seen == list(range(100)) and threads == {"test-writer"}


def test_a_failing_consumer_fails_the_caller_and_never_blocks_it():
    def consume(items):
        for item in items:
            if item == 3:
                raise OSError("disk full")

    writer = BoundedWriter(consume, depth=1)
    with pytest.raises(OSError, match="disk full"):
        for i in range(1000):  # more than the queue holds: the caller must not hang
            writer.write(i)
    with pytest.raises(OSError, match="disk full"):
        writer.close()


def test_a_consumer_that_stops_early_does_not_block_the_caller():
    writer = BoundedWriter(lambda items: next(items), depth=1)
    for i in range(50):
        writer.write(i)
    writer.close()


@pytest.mark.parametrize("error,expected", [
    (OSError(28, "No space left on device"),
     "[Errno 28] No space left on device: '{path}'"),
    (OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"),
     "Error writing bytes to file. Detail: [errno 28] No space left on device: '{path}'"),
    (PermissionError(13, "Permission denied", "/elsewhere"),
     "[Errno 13] Permission denied: '/elsewhere'"),
])
def test_a_write_error_that_names_no_file_names_the_target(tmp_path, error, expected):
    """A full disk says only "No space left on device": the message names the file."""
    path = tmp_path / "out.csv"
    for writing in (lambda: files.atomic_path(path), lambda: LocalStore().create(str(path))):
        with pytest.raises(OSError) as caught, writing():
            raise error
        assert str(caught.value) == expected.format(path=path)
        assert type(caught.value) is type(error)
        assert os.listdir(tmp_path) == []

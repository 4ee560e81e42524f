"""--engine spark: part files that are the single-process file, cut at block boundaries.

The contract: CSV/JSONL/Avro parts concatenated in name order (each CSV or Avro part's
header dropped but the first's) are byte-identical to the single-process file of the same
schema, seed and row count; Parquet parts read in name order give its rows. Proven in local
mode here, and on the standalone cluster writing to HDFS; a failed or killed run leaves no
folder that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import fastavro
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.common.paths import REPO_ROOT
from services.common.stores import LocalStore, WebHdfsStore
from services.generator import write_dataset
from services.generator.block import BLOCK_SIZE
from services.generator.encoders import encoder_for
from services.generator.parts import SUCCESS, PartPlan, PartWritten
from services.generator.target import Target, resolve_target
from services.schema import Dataset, load_schema, parse_schema
from services.spark.generate import TaskFailed, commit, generate
from tests.polling import poll
from tests.schemas import CARD, DEPENDENT, LOOKUP_BLOCK, RETAIL, TIMELINE

SCRIPT = REPO_ROOT / "services/batch/generate_synthetic_data.py"
ROWS = 3 * BLOCK_SIZE + BLOCK_SIZE // 2  # 3.5 blocks: full parts and a short last one
SEED = 20_260_101


def dataset(fmt: str, gz: bool = False, rows: int = ROWS, schema: Path | dict = CARD,
            ) -> Dataset:
    ds = parse_schema(schema) if isinstance(schema, dict) else load_schema(schema)
    return ds.with_overrides(entity_count=rows, output_format=fmt, gzip=gz)


def local_target(folder: Path) -> Target:
    return Target(LocalStore(), str(folder), folder.as_uri())


def single_file(tmp_path: Path, ds: Dataset) -> Path:
    path = tmp_path / f"single{ds.output.suffix}"
    write_dataset(ds, path, seed=SEED)
    return path


def joined(parts: list[bytes], header: bytes) -> bytes:
    """Parts in name order, every part's header dropped but the first's."""
    assert all(p.startswith(header) for p in parts)
    return parts[0] + b"".join(p[len(header):] for p in parts[1:])


def same_entity_tables(single: Path, parts: Path, single_stem: str, parts_stem: str,
                       count: int) -> bool:
    """The entity tables the single process wrote beside its file, and the Spark engine in
    its folder's _entities/, byte for byte."""
    if count == 0:
        return not parts.exists()
    mine = sorted(p.name for p in parts.iterdir())
    theirs = sorted(p.name.replace(single_stem, parts_stem, 1) for p in single.iterdir())
    return len(mine) == count and mine == theirs and all(
        (parts / name).read_bytes() == (single / name.replace(parts_stem, single_stem, 1))
        .read_bytes() for name in mine)


def part_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("part-"))


def run_cli(*args: str, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1",
           "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run([sys.executable, str(SCRIPT), "--config", str(CARD), "--seed",
                           str(SEED), "--no-progress", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


# --- the plan (pure) ---

def test_parts_are_block_aligned_and_named_in_block_order():
    plan = PartPlan(dataset("csv", gz=True), SEED, part_blocks=2)
    assert plan.parts == 2
    assert [list(plan.blocks_of(p)) for p in range(plan.parts)] == [[0, 1], [2, 3]]
    assert [plan.name(p) for p in range(2)] == ["part-00000.csv.gz", "part-00001.csv.gz"]
    empty = PartPlan(dataset("csv", rows=0), SEED)
    assert empty.parts == 1 and list(empty.blocks_of(0)) == []
    huge = PartPlan(dataset("parquet", rows=BLOCK_SIZE * 100_001), SEED, part_blocks=1)
    names = [huge.name(p) for p in (0, 9_999, 100_000)]
    assert names == ["part-000000.parquet", "part-009999.parquet", "part-100000.parquet"]
    assert names == sorted(names)


def test_out_resolves_like_the_batch_job():
    local = resolve_target("data/x")
    assert isinstance(local.store, LocalStore) and local.path == os.path.abspath("data/x")
    on_hdfs = resolve_target("/data/input/card", use_hdfs=True, namenode="hdfs://nn:8020")
    assert on_hdfs.uri == "hdfs://nn:8020/data/input/card" and on_hdfs.path == "/data/input/card"
    assert on_hdfs.store == WebHdfsStore("http://nn:9870")
    given = resolve_target("hdfs://nn:8020/d/", webhdfs="http://web:1", user="sdp")
    assert given.store == WebHdfsStore("http://web:1", "sdp") and given.path == "/d"


def test_use_hdfs_from_the_environment_needs_an_absolute_folder(tmp_path):
    done = run_cli("--engine", "spark", "--out", "relative/x", env={"USE_HDFS": "true"},
                   timeout=60)
    assert done.returncode == 2
    assert "with USE_HDFS=true the folder must be an absolute HDFS path" in done.stderr


# --- bad input: one line, exit 2, before any Spark starts ---

@pytest.mark.parametrize("args,message", [
    (["--engine", "spark", "--n", "10"], "--engine spark writes a folder"),
    (["--engine", "spark", "--out", "{tmp}/o", "--spark-master", "mesos://x:5050"],
     "--spark-master 'mesos://x:5050' is not a Spark master URL; accepted: local"),
    (["--engine", "spark", "--out", "{tmp}/o", "--spark-master", "spark://127.0.0.1:1"],
     "--spark-master spark://127.0.0.1:1: no Spark master answers there"),
    (["--engine", "spark", "--out", "{tmp}/o", "--format", "parquet", "--gzip"],
     "--gzip contradicts --format parquet: parquet compresses itself"),
    (["--engine", "spark", "--out", "{tmp}/o.parquet.gz"], "the .gz suffix applies to csv"),
    (["--engine", "spark", "--out", "{tmp}/o", "--format", "avro", "--gzip"],
     "--gzip contradicts --format avro: avro compresses itself"),
    (["--engine", "spark", "--out", "{tmp}/o", "--workers", "2"],
     "--workers applies to --engine local only"),
    (["--engine", "spark", "--out", "{tmp}/o", "--part-blocks", "0"],
     "--part-blocks must be >= 1"),
    (["--engine", "spark", "--out", "s3a://bucket/o"],
     "accepted are local folders and hdfs:// URIs, not s3a://"),
    (["--engine", "spark", "--out", "hdfs:///o"], "an HDFS folder needs a NameNode"),
    (["--out", "{tmp}/o.csv", "--replace"], "--replace applies to --engine spark only"),
    (["--out", "{tmp}/o.csv", "--spark-master", "local[2]"],
     "--spark-master applies to --engine spark only"),
    (["--engine", "spark", "--out", "{tmp}/exists"], "already exists; remove it"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    (tmp_path / "exists").mkdir()
    done = run_cli(*[a.format(tmp=tmp_path) for a in args], timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("blocks,part_blocks,expected", [
    (4, 3, [[0, 1, 2], [3]]),
    (5, 2, [[0, 1], [2, 3], [4]]),
    (2, 5, [[0, 1]]),
])
def test_a_plan_whose_blocks_do_not_divide_evenly_ends_with_a_short_part(
        blocks, part_blocks, expected):
    rows = (blocks - 1) * BLOCK_SIZE + 1  # the last block holds one row
    plan = PartPlan(dataset("csv", rows=rows), SEED, part_blocks=part_blocks)
    assert plan.parts == len(expected)
    assert [list(plan.blocks_of(p)) for p in range(plan.parts)] == expected


class RenameWatch(LocalStore):
    """A disk that notes, at each rename, what the folder being renamed holds."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[str]]] = []

    def rename(self, source: str, target: str) -> None:
        self.seen.append((target, sorted(os.listdir(source))))
        super().rename(source, target)


@pytest.mark.parametrize("replace", [False, True])
def test_success_is_in_the_temporary_folder_before_it_is_renamed_into_place(tmp_path, replace):
    """A reader that waits for _SUCCESS never sees the folder without it, nor it without
    every part."""
    plan = PartPlan(dataset("csv", rows=2 * BLOCK_SIZE), SEED, part_blocks=1)
    out, folder = tmp_path / "parts", tmp_path / ".parts.tmp"
    folder.mkdir()
    if replace:
        out.mkdir()
    written = [PartWritten(plan.name(p), BLOCK_SIZE) for p in range(plan.parts)]
    for part in written:
        (folder / part.name).write_text("x")
    store = RenameWatch()
    commit(Target(store, str(out), out.as_uri()), str(folder), written, plan, replace)
    assert (str(out), [SUCCESS, "part-00000.csv", "part-00001.csv"]) in store.seen
    assert sorted(os.listdir(out)) == [SUCCESS, "part-00000.csv", "part-00001.csv"]
    with pytest.raises(RuntimeError, match="the tasks wrote 1 of 2 parts"):
        commit(Target(store, str(out), out.as_uri()), str(folder), written[:1], plan, True)


# --- local mode (the session fixture, local[2]) ---

@pytest.mark.spark
@pytest.mark.parametrize("fmt,gz,schema", [("csv", False, CARD), ("csv", True, RETAIL),
                                           ("jsonl", True, CARD), ("csv", False, DEPENDENT),
                                           ("csv", False, LOOKUP_BLOCK),
                                           ("csv", False, TIMELINE),
                                           ("avro", False, CARD)])
def test_text_parts_concatenate_to_the_single_process_file(spark, tmp_path, fmt, gz, schema):
    """Avro too: every part is a container file of its own, all with the same header (the
    sync marker comes from the seed and the schema)."""
    ds = dataset(fmt, gz, schema=schema)
    out = tmp_path / "parts"
    result = generate(spark, PartPlan(ds, SEED, part_blocks=1), local_target(out))
    assert result.rows == ROWS and result.parts == 4
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == [SUCCESS] + [f"part-0000{i}{ds.output.suffix}" for i in range(4)]
    header = encoder_for(ds.with_overrides(seed=SEED)).header_bytes()
    single = single_file(tmp_path, ds)
    assert joined([p.read_bytes() for p in part_files(out)], header) == single.read_bytes()
    if fmt == "avro":
        for part, rows in zip(part_files(out), [BLOCK_SIZE] * 3 + [BLOCK_SIZE // 2],
                              strict=True):
            with part.open("rb") as source:
                assert sum(1 for _ in fastavro.reader(source)) == rows
    assert same_entity_tables(single.parent / "_entities", out / "_entities", "single",
                              "parts", len(ds.entities))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.spark
def test_parquet_parts_read_back_the_same_rows_in_order(spark, tmp_path):
    ds = dataset("parquet", schema=RETAIL)
    out = tmp_path / "parts"
    generate(spark, PartPlan(ds, SEED, part_blocks=2), local_target(out))
    parts = [pq.read_table(p) for p in part_files(out)]
    assert [t.num_rows for t in parts] == [2 * BLOCK_SIZE, ROWS - 2 * BLOCK_SIZE]
    assert pa.concat_tables(parts).equals(pq.read_table(single_file(tmp_path, ds)))


@pytest.mark.spark
def test_replace_swaps_a_folder_in_and_refuses_without(spark, tmp_path):
    out = tmp_path / "parts"
    out.mkdir()
    (out / "stale.csv").write_text("a\n1\n")
    ds = dataset("csv", rows=1000)
    with pytest.raises(ValueError, match="already exists"):
        generate(spark, PartPlan(ds, SEED), local_target(out))
    generate(spark, PartPlan(ds, SEED), local_target(out), replace=True)
    assert sorted(p.name for p in out.iterdir()) == [SUCCESS, "_entities", "part-00000.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts"]


class FailingStore(LocalStore):
    """A disk that fails the third part, as a full disk or a lost DataNode would."""

    def create(self, path: str):
        if path.endswith("part-00002.csv"):
            raise OSError(28, "No space left on device")
        return super().create(path)


@pytest.mark.spark
def test_a_run_that_fails_midway_leaves_no_folder(spark, tmp_path):
    out = tmp_path / "parts"
    plan = PartPlan(dataset("csv"), SEED, part_blocks=1)
    with pytest.raises(TaskFailed, match="No space left on device"):
        generate(spark, plan, Target(FailingStore(), str(out), out.as_uri()))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.spark
@pytest.mark.slow
def test_a_killed_run_leaves_no_complete_looking_folder(tmp_path):
    """kill -9 of the driver while parts are being written: the output folder never
    appears; what is left is a hidden temporary folder without _SUCCESS (readers skip it)."""
    out = tmp_path / "parts"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--config", str(CARD), "--seed", "1", "--no-progress",
         "--n", str(200 * BLOCK_SIZE), "--engine", "spark", "--spark-master", "local[1]",
         "--part-blocks", "1", "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        temp = poll("a part written in the temporary folder",
                    lambda: [p for p in tmp_path.glob(".parts.tmp-*/part-*")],
                    timeout=120)[0].parent
        family = psutil.Process(proc.pid).children(recursive=True)
    finally:
        proc.kill()
        proc.wait()
    for child in family:  # the driver's JVM and Python workers, started by this test
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(family, timeout=30)
    assert not out.exists()
    assert not list(tmp_path.rglob(SUCCESS))
    assert temp.name.startswith(".")


@pytest.mark.spark
def test_the_batch_job_reads_the_parts_folder_and_skips_a_temporary_one(spark, tmp_path):
    from services.spark.extracts import list_extracts, read_extracts

    inputs = tmp_path / "input"
    ds = dataset("csv", gz=True, rows=BLOCK_SIZE + 10)
    generate(spark, PartPlan(ds, SEED, part_blocks=1), local_target(inputs / "card"))
    (inputs / ".card2.tmp-abc").mkdir()
    (inputs / ".card2.tmp-abc" / "part-00000.csv").write_text("event_time\nx\n")
    found = list_extracts(spark, inputs.as_uri())
    assert [e.name for e in found] == ["part-00000.csv.gz", "part-00001.csv.gz"]
    frame, empty = read_extracts(spark, found, ds)
    assert empty == [] and frame.count() == BLOCK_SIZE + 10


# --- the standalone cluster writing to HDFS, through the command line ---

@pytest.mark.spark_cluster
@pytest.mark.hdfs
@pytest.mark.slow
def test_cluster_writes_parts_to_hdfs_identical_to_the_single_process_file(
        spark_cluster, hdfs_cluster, tmp_path):
    from hdfs import InsecureClient

    from services.infra.net import get_json

    folder = f"/generated/{uuid.uuid4().hex[:8]}/card"
    done = run_cli("--engine", "spark", "--spark-master", spark_cluster.master_url,
                   "--out", f"{hdfs_cluster.uri}{folder}", "--webhdfs",
                   hdfs_cluster.webhdfs_url, "--format", "csv", "--gzip", "--n", str(ROWS),
                   "--part-blocks", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"wrote {ROWS:,} rows in 4 part(s) to {hdfs_cluster.uri}{folder}" in done.stdout
    client = InsecureClient(hdfs_cluster.webhdfs_url, user="root")
    names = client.list(folder)
    assert names == [SUCCESS, "_entities"] + [f"part-0000{i}.csv.gz" for i in range(4)]
    parts = []
    for name in names[2:]:
        with client.read(f"{folder}/{name}") as reader:
            parts.append(reader.read())
    ds = dataset("csv", gz=True)
    assert joined(parts, encoder_for(ds).header_bytes()) == \
        single_file(tmp_path, ds).read_bytes()
    assert client.list(folder.rsplit("/", 1)[0]) == ["card"]  # no temporary folder left
    apps = get_json(f"{spark_cluster.master_ui_url}/json/")["completedapps"]
    assert "generator.spark_engine" in {app["name"] for app in apps}


@pytest.mark.spark_cluster
@pytest.mark.slow
def test_cluster_writes_parquet_parts_with_the_same_rows(spark_cluster, tmp_path):
    out = tmp_path / "parts"
    done = run_cli("--engine", "spark", "--spark-master", spark_cluster.master_url,
                   "--out", str(out), "--format", "parquet", "--n", str(ROWS),
                   "--part-blocks", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    parts = part_files(out)
    assert [p.name for p in parts] == ["part-00000.parquet", "part-00001.parquet"]
    assert (out / SUCCESS).exists()
    ds = dataset("parquet")
    back = pa.concat_tables([pq.read_table(p) for p in parts])
    assert back.equals(pq.read_table(single_file(tmp_path, ds)))

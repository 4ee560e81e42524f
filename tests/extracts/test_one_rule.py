"""One folder, one extract: the batch job, the producer's replay, the HDFS loader and the
schema inference take the same files from it and read the same rows, and each names the
files it skips; the loader also carries the entity tables."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hdfs import InsecureClient

from services.extracts import find_extracts
from services.generator import write_dataset
from services.hdfs_loader import main as load_main
from services.infer.samples import read_samples
from services.kafka.replay import load_replay
from services.schema import load_schema
from services.spark.extracts import list_extracts, read_extracts
from tests.schemas import CARD

pytestmark = [pytest.mark.spark, pytest.mark.hdfs, pytest.mark.slow]

EXTRACT = {"a.csv": 300, "b.jsonl.gz": 200, "c.parquet": 100, "d.jsonl": 50, "f.avro": 40,
           "parts/part-00000.csv": 70, "parts/part-00001.csv": 30, "deep/er/e.csv.gz": 20}
TABLES = ("_entities/a.cards.csv", "parts/_entities/p.cards.csv")
SKIPPED = ("notes.txt", "schema.json", "deep/report.json.gz", "events.avro.txt")  # warned
NOISE = (*TABLES, *SKIPPED, "parts/_SUCCESS", ".a.csv.tmp-4711@host-0a1b2c3d",
         ".staging/f.csv", "_other/x.csv", ".hidden/_entities/h.cards.csv",
         "_entities/notes.txt")


def make_folder(folder: Path) -> None:
    dataset = load_schema(CARD)
    for seed, (name, rows) in enumerate(EXTRACT.items()):
        fmt = name.split(".")[1] if name.endswith((".parquet", ".avro")) \
            else "csv" if ".csv" in name else "jsonl"
        ds = dataset.with_overrides(entity_count=rows, output_format=fmt,
                                    gzip=name.endswith(".gz"))
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        written = folder / ".staging" / f"{seed}{ds.output.suffix}"
        write_dataset(ds, written, seed=seed)
        written.replace(target)
    for name in NOISE:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("id,amount\n1,2\n")


def relative(names: list[str]) -> list[str]:
    """The paths below the folder `input` (local paths, file: and hdfs: URIs alike)."""
    return sorted(name.split("/input/", 1)[1] for name in names)


def hdfs_files(client: InsecureClient, folder: str) -> list[str]:
    return [f"{root}/{name}" for root, _, files in client.walk(folder) for name in files]


def skipped_named(lines: list[str]) -> list[str]:
    """The files the warning lines name."""
    return sorted(line.split("/input/", 1)[1].split(":", 1)[0] for line in lines
                  if "not an extract" in line)


def logged(caplog) -> list[str]:
    """The log lines since the last call."""
    lines = [r.getMessage() for r in caplog.records]
    caplog.clear()
    return lines


def test_every_reader_of_a_folder_takes_the_same_files_and_rows(spark, hdfs_cluster,
                                                                 tmp_path, caplog, capsys):
    folder = tmp_path / "input"
    make_folder(folder)
    dataset = load_schema(CARD)
    expected_files, expected_rows = sorted(EXTRACT), sum(EXTRACT.values())
    caplog.set_level("WARNING")

    batch = list_extracts(spark, folder.as_uri())
    assert skipped_named(logged(caplog)) == sorted(SKIPPED)
    frame, empty = read_extracts(spark, batch, dataset)
    assert relative([e.uri for e in batch]) == expected_files
    assert not empty and frame.count() == expected_rows

    replayed = load_replay(find_extracts(folder), dataset, None)
    assert skipped_named(logged(caplog)) == sorted(SKIPPED)
    assert relative([str(p) for p in replayed.files]) == expected_files
    assert replayed.events.size == expected_rows and replayed.bad_rows == 0

    sample = read_samples([folder])
    assert skipped_named(logged(caplog)) == sorted(SKIPPED)
    assert relative([str(p) for p in sample.files]) == expected_files
    assert sample.rows == expected_rows

    dest = f"/tests/one-rule-{uuid.uuid4().hex[:8]}/input"
    capsys.readouterr()  # what the readers above logged, when an earlier test's handler wrote it
    assert load_main(["--source", str(folder), "--dest", dest, "--webhdfs",
                      hdfs_cluster.webhdfs_url, "--wait", "60"]) == 0
    # the loader's shell logs to stderr (services.common.cli.configure_logging)
    assert skipped_named(capsys.readouterr().err.splitlines()) == sorted(SKIPPED)
    client = InsecureClient(hdfs_cluster.webhdfs_url)
    assert relative(hdfs_files(client, dest)) == sorted([*expected_files, *TABLES])
    on_hdfs = list_extracts(spark, f"{hdfs_cluster.uri}{dest}")
    assert relative([e.uri for e in on_hdfs]) == expected_files
    frame, _ = read_extracts(spark, on_hdfs, dataset)
    assert frame.count() == expected_rows

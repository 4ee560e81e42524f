"""The generator's command line: its flags, exit codes, clear messages."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from services.commands import generate as main
from services.common import files
from services.common.paths import REPO_ROOT
from services.extracts import local_extracts
from tests.processes import dead_pid
from tests.schemas import CARD, RETAIL


def test_writes_to_output_dir_with_schema_name(tmp_path, capsys):
    assert main(["--config", str(CARD), "--output-dir", str(tmp_path), "--n", "500"]) == 0
    out = capsys.readouterr().out
    assert f"wrote 500 rows to {tmp_path / 'card_transactions.csv'}" in out and "seed 42" in out
    assert len(pd.read_csv(tmp_path / "card_transactions.csv")) == 500


def test_out_suffix_decides_format_and_gzip(tmp_path):
    target = tmp_path / "events.jsonl.gz"
    assert main(["--config", str(RETAIL), "--out", str(target), "--n", "100"]) == 0
    assert len(pd.read_json(target, lines=True)) == 100


@pytest.mark.parametrize(("out", "written"), [
    ("x.csv", "x.csv.gz"), ("x.jsonl", "x.jsonl.gz"), ("x.csv.gz", "x.csv.gz")])
def test_gzip_with_a_plain_out_name_writes_it_with_gz_and_says_so(tmp_path, capsys, out,
                                                                   written):
    """The design's command lines pass --gzip with a plain name: x.csv.gz, one line."""
    assert main(["--config", str(RETAIL), "--out", str(tmp_path / out), "--gzip", "--n", "20",
                 "--seed", "1"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == [written]
    read = pd.read_json if ".jsonl" in out else pd.read_csv
    kwargs = {"lines": True} if ".jsonl" in out else {}
    assert len(read(tmp_path / written, compression="gzip", **kwargs)) == 20
    said = [line for line in capsys.readouterr().err.splitlines() if "--gzip" in line]
    assert said == ([] if out == written else
                    [f"--gzip: writing {tmp_path / written} (--out {tmp_path / out} with .gz "
                     "added)"])


def test_a_schema_that_writes_parquet_refuses_gzip_and_names_the_file(tmp_path, capsys):
    schema = json.loads(CARD.read_text())
    schema["output"] = {"format": "parquet"}
    path = tmp_path / "pq.json"
    path.write_text(json.dumps(schema))
    assert main(["--config", str(path), "--output-dir", str(tmp_path), "--gzip"]) == 2
    assert (f"--gzip contradicts the output format parquet of {path}"
            in capsys.readouterr().err)


def test_format_name_seed_and_gzip_flags(tmp_path):
    args = ["--config", str(RETAIL), "--output-dir", str(tmp_path), "--output-name", "orders",
            "--format", "jsonl", "--gzip", "--seed", "5", "--n", "50"]
    assert main(args) == 0
    first = (tmp_path / "orders.jsonl.gz").read_bytes()
    assert main(args) == 0
    assert (tmp_path / "orders.jsonl.gz").read_bytes() == first


def test_clear_output_removes_every_earlier_extract_whatever_its_format(tmp_path):
    """What earlier runs wrote (files of every format, gzip or not, a Spark parts folder,
    entity tables) goes; this run's file and tables, and what the generator does not make,
    stay. The listing every reader uses then finds this run's rows only."""
    for name in ("old.csv", "older.csv.gz", "old.jsonl", "old.jsonl.gz", "old.parquet",
                 "old.avro", "notes.txt", "schema.json"):
        (tmp_path / name).write_text("x")
    parts = tmp_path / "card_transactions"
    parts.mkdir()
    for name in ("part-00000.jsonl.gz", "part-00001.jsonl.gz", "_SUCCESS"):
        (parts / name).write_text("x")
    (parts / "_entities").mkdir()
    (parts / "_entities" / "card_transactions.cards.jsonl.gz").write_text("x")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "nested.csv").write_text("x")
    (tmp_path / "_entities").mkdir()
    for name in ("old.cards.csv", "card_transactions.cards.jsonl", "old.cards.avro"):
        (tmp_path / "_entities" / name).write_text("x")
    avro_parts = tmp_path / "avro_parts"
    avro_parts.mkdir()
    for name in ("part-00000.avro", "_SUCCESS"):
        (avro_parts / name).write_text("x")
    assert main(["--config", str(CARD), "--output-dir", str(tmp_path), "--n", "10",
                 "--clear-output"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "_entities", "card_transactions.csv", "mine", "notes.txt", "schema.json"]
    assert [p.name for p in (tmp_path / "_entities").iterdir()] == [
        "card_transactions.cards.csv"]
    assert local_extracts(tmp_path) == [tmp_path / "card_transactions.csv", mine / "nested.csv"]


def test_clear_output_removes_the_tables_of_entities_no_longer_in_the_schema(tmp_path):
    """A run of the card schema leaves _entities/card_transactions.cards.csv; the same file
    name from a schema without entities (the retail one), with --clear-output, removes it
    (and the table of an extract it removes), but not a table of the user's own."""
    assert main(["--config", str(CARD), "--output-dir", str(tmp_path), "--n", "10"]) == 0
    tables = tmp_path / "_entities"
    assert [p.name for p in tables.iterdir()] == ["card_transactions.cards.csv"]
    (tmp_path / "old.jsonl").write_text("x")
    for name in ("old.cards.parquet", "lookup.csv", "other.cards.csv", "notes.txt"):
        (tables / name).write_text("x")
    assert main(["--config", str(RETAIL), "--output-dir", str(tmp_path), "--output-name",
                 "card_transactions", "--n", "10", "--clear-output"]) == 0
    assert sorted(p.name for p in tables.iterdir()) == ["lookup.csv", "notes.txt",
                                                         "other.cards.csv"]
    assert not (tmp_path / "old.jsonl").exists()


def test_clear_output_keeps_a_folder_that_is_not_a_parts_folder(tmp_path):
    for folder, names in (("spark_like", ["part-00000.csv", "readme.md"]),
                          ("no_parts", ["_SUCCESS"]), ("short", ["part-0.csv"])):
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / name).write_text("x")
    assert main(["--config", str(RETAIL), "--output-dir", str(tmp_path), "--n", "5",
                 "--clear-output"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "no_parts", "retail_orders.csv", "short", "spark_like"]


def test_a_run_without_clear_output_removes_nothing(tmp_path):
    (tmp_path / "old.jsonl").write_text("x")
    assert main(["--config", str(RETAIL), "--output-dir", str(tmp_path), "--n", "5"]) == 0
    assert (tmp_path / "old.jsonl").exists()


def test_validate_checks_and_writes_nothing(tmp_path, capsys):
    assert main(["--config", str(CARD), "--validate", "--output-dir", str(tmp_path)]) == 0
    assert "OK, 15 fields" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_no_seed_says_which_seed_was_used(tmp_path, capsys):
    schema = json.loads(CARD.read_text())
    del schema["seed"]
    path = tmp_path / "noseed.json"
    path.write_text(json.dumps(schema))
    assert main(["--config", str(path), "--out", str(tmp_path / "x.csv"), "--n", "5"]) == 0
    assert "no seed given: this run uses seed" in capsys.readouterr().err


def test_bad_schema_exits_2_lists_every_problem_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": {"fields": [
        {"name": "a", "type": "colour"}, {"name": "b", "type": "bool", "p_true": 3}]}}))
    out = tmp_path / "out"
    assert main(["--config", str(bad), "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "schema.fields[0].type: unknown type 'colour'" in err
    assert "schema.fields[1].p_true: must be between 0 and 1" in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("args,message", [
    (["--n", "-1"], "--n must be >= 0"),
    (["--n", "ten"], "invalid int value: 'ten'"),
    (["--format", "xml"], "invalid choice: 'xml'"),
    (["--out", "TMP/x.csv", "--output-dir", "TMP"], "--out cannot be combined"),
    (["--out", "TMP/x.csv", "--format", "jsonl"], "disagrees with the suffix"),
    (["--format", "parquet", "--gzip"], "--gzip contradicts --format parquet: parquet "
                                        "compresses itself; drop --gzip or write csv or jsonl"),
    (["--out", "TMP/x.parquet", "--gzip"], "--gzip contradicts --out TMP/x.parquet: parquet "
                                           "compresses itself"),
    (["--out", "TMP/x", "--format", "parquet", "--gzip"], "--gzip contradicts --format parquet"),
    (["--out", "TMP/x.csv", "--format", "parquet", "--gzip"], "disagrees with the suffix"),
    (["--out", "TMP/x.parquet.gz"], "--out TMP/x.parquet.gz: the .gz suffix applies to csv and "
                                    "jsonl only (parquet compresses itself); end the name in "
                                    ".parquet"),
    (["--format", "avro", "--gzip"], "--gzip contradicts --format avro: avro compresses "
                                     "itself; drop --gzip or write csv or jsonl"),
    (["--out", "TMP/x.avro", "--gzip"], "--gzip contradicts --out TMP/x.avro: avro compresses"),
    (["--out", "TMP/x.avro.gz"], "--out TMP/x.avro.gz: the .gz suffix applies to csv and jsonl "
                                 "only (avro compresses itself); end the name in .avro"),
    (["--config", "/nonexistent.json"], "/nonexistent.json: 1 problem\n  file not found"),
])
def test_bad_arguments_exit_2_with_a_clear_message(tmp_path, capsys, args, message):
    args = [a.replace("TMP", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--output-dir", str(tmp_path)]
    assert main(args) == 2
    message = message.replace("TMP", str(tmp_path))
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_schema_that_writes_avro_refuses_gzip_in_the_file_and_on_the_command_line(
        tmp_path, capsys):
    schema = json.loads(CARD.read_text())
    schema["output"] = {"format": "avro"}
    path = tmp_path / "avro.json"
    path.write_text(json.dumps(schema))
    assert main(["--config", str(path), "--output-dir", str(tmp_path), "--gzip"]) == 2
    assert f"--gzip contradicts the output format avro of {path}" in capsys.readouterr().err
    schema["output"] = {"format": "avro", "gzip": True}
    path.write_text(json.dumps(schema))
    assert main(["--config", str(path), "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "output.gzip: applies to csv and jsonl only (avro compresses itself)" in err
    assert "Traceback" not in err and sorted(p.name for p in tmp_path.iterdir()) == [
        "avro.json"]


def test_parquet_gz_out_does_not_blame_a_gzip_flag(tmp_path, capsys):
    assert main(["--config", str(CARD), "--out", str(tmp_path / "x.parquet.gz")]) == 2
    assert "--gzip" not in capsys.readouterr().err


def test_parquet_on_the_command_line_drops_the_files_gzip(tmp_path):
    schema = json.loads(CARD.read_text())
    schema["output"] = {"format": "csv", "gzip": True}
    path = tmp_path / "gz.json"
    path.write_text(json.dumps(schema))
    assert main(["--config", str(path), "--output-dir", str(tmp_path), "--format", "parquet",
                 "--n", "10"]) == 0
    assert pd.read_parquet(tmp_path / "gz.parquet").shape[0] == 10


def test_validate_refuses_an_analysis_role_the_field_cannot_fill(tmp_path, capsys):
    schema = json.loads(CARD.read_text())
    schema["analysis"]["timestamp_field"] = "amount"
    schema["analysis"]["numeric_fields"] = ["city"]
    path = tmp_path / "roles.json"
    path.write_text(json.dumps(schema))
    assert main(["--config", str(path), "--validate"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: 2 problems" in err
    assert ("analysis.timestamp_field: 'amount' is a float field; accepted: a datetime field "
            "(in this file: event_time)") in err
    assert "analysis.numeric_fields[0]: 'city' is a category field; accepted: an int" in err


def test_script_runs_as_a_file_from_anywhere(tmp_path):
    script = REPO_ROOT / "services/batch/generate_synthetic_data.py"
    done = subprocess.run([sys.executable, str(script), "--config", str(CARD), "--out",
                           str(tmp_path / "a.csv"), "--n", "20"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote 20 rows" in done.stdout


def test_a_run_removes_what_a_dead_run_left_in_its_folder_and_nothing_else(tmp_path):
    mine = files.temporary_name("card_transactions.csv")
    dead = mine.replace(f"-{os.getpid()}@", f"-{dead_pid()}@")
    for name in (mine, dead, ".card_transactions.csv.tmp"):
        (tmp_path / name).write_text("half a file")
    assert main(["--config", str(CARD), "--output-dir", str(tmp_path), "--n", "10"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "_entities") == sorted(
        [mine, ".card_transactions.csv.tmp", "card_transactions.csv"])


def silent_profile_schema(folder: Path) -> Path:
    """A schema that loads field by field, but whose seasonality has no hour in its window."""
    path = folder / "afternoon.json"
    path.write_text(json.dumps({
        "time_window": {"start": "2025-01-07T13:00:00", "end": "2025-01-07T17:00:00"},
        "schema": {"fields": [
            {"name": "id", "type": "uuid"},
            {"name": "at", "type": "datetime", "mode": "seasonality",
             "profile": {"hour_of_day": {"_default": 0, "3": 5}}}]}}))
    return path


@pytest.mark.parametrize("args", [["--validate"], ["--output-dir", "{tmp}"],
                                  ["--engine", "spark", "--out", "{tmp}/parts"]],
                         ids=["validate", "local", "spark"])
def test_validate_refuses_what_a_run_would_refuse(tmp_path, capsys, args):
    config = silent_profile_schema(tmp_path)
    args = [a.format(tmp=tmp_path) for a in args]
    assert main(["--config", str(config), "--n", "10", *args]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {config}: 1 problem",
        "  schema.fields[1].profile: every hour inside time_window (2025-01-07T13:00:00 to "
        "2025-01-07T17:00:00) has weight 0"]
    assert [p.name for p in tmp_path.iterdir()] == ["afternoon.json"]


@pytest.mark.parametrize("suffix", ["csv", "parquet", "jsonl.gz"])
def test_a_full_disk_is_one_error_naming_the_file(tmp_path, suffix):
    """A file size limit fails writes as a full disk does (the write names no file)."""
    out = tmp_path / f"cards.{suffix}"
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "services/batch/generate_synthetic_data.py"),
         "--config", str(CARD), "--out", str(out), "--n", "50000", "--no-progress"],
        capture_output=True, text=True, timeout=120, check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000)))
    assert done.returncode == 1
    assert done.stderr.startswith("error: OSError: [Errno 27] ") and done.stderr.endswith(
        f"File too large: '{out}'\n"), done.stderr
    assert list(tmp_path.iterdir()) == []

"""infer_schema.py: the file it writes passes --validate; --compare prints and writes its
report; bad input gets one line and exit 2."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from services.commands import generate as generate_main
from services.commands import infer_schema as main
from services.common.paths import REPO_ROOT, SCHEMAS
from tests.infer.extracts import generate


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    return generate(SCHEMAS / "card_transactions.json",
                    tmp_path_factory.mktemp("cli") / "card.csv", 20_000)


def test_written_file_validates_and_reads_well(card, tmp_path, capsys):
    out = tmp_path / "card.schema.json"
    assert main([str(card), "--out", str(out), "--sample-rows", "5000", "--name", "Cards"]) == 0
    columns = card.read_text().splitlines()[0].count(",") + 1
    assert f"wrote {out}: {columns} fields from 5,000 rows" in capsys.readouterr().out
    text = out.read_text()
    doc = json.loads(text)
    assert doc["analysis"]["name"] == "Cards" and doc["entity_count"] == 5000
    assert max(len(line) for line in text.splitlines() if '"description"' not in line) <= 100
    assert generate_main(["--config", str(out), "--validate"]) == 0


def test_compare_prints_and_writes_json(tmp_path, capsys):
    # Two seeds of one schema without entities (a seed draws an entity table of its own).
    real = generate(SCHEMAS / "retail_orders.json", tmp_path / "r.csv", 50_000, 1)
    synthetic = generate(SCHEMAS / "retail_orders.json", tmp_path / "s.csv", 50_000, 9)
    report = tmp_path / "report.json"
    assert main(["--compare", str(real), str(synthetic), "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "7 of 7 columns within the targets" in printed
    assert "product" in printed and "TV " in printed and "hour r " in printed
    assert "pairs, on 50,000 real and 50,000 synthetic rows:" in printed
    assert "privacy, over " in printed and printed.rstrip().endswith("all within the targets")
    written = json.loads(report.read_text())
    assert written["summary"]["ok"] and written["summary"]["columns"] == 7
    assert {c["kind"] for c in written["columns"]} == {"datetime", "label", "number"}
    assert written["pairs"]["contingency"] and written["pairs"]["level_means"]
    assert written["privacy"]["dcr"]["synthetic_rows"] == 1000


def test_lifecycle_infer_generate_compare(tmp_path, capsys):
    real = generate(SCHEMAS / "retail_order_lifecycle.json", tmp_path / "r.csv", 5000)
    schema = tmp_path / "orders.schema.json"
    assert main([str(real), "--out", str(schema)]) == 0
    assert '"lifecycle"' in schema.read_text()
    synthetic = generate(schema, tmp_path / "s.csv", 5000, 9)
    report = tmp_path / "report.json"
    capsys.readouterr()
    assert main(["--compare", str(real), str(synthetic), "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "over time, episodes of order_id moving by status at event_time:" in printed
    written = json.loads(report.read_text())
    time_report = written["temporal"]
    assert (time_report["id"], time_report["state"], time_report["judged"]) == \
        ("order_id", "status", True)
    assert all(c["ok"] for c in time_report["checks"]), time_report["checks"]
    assert written["summary"]["temporal_ok"]
    assert written["summary"]["targets"]["transition_tv"] == 0.02


def bad_inputs(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b\n")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"not gzip at all")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    bad_parquet = tmp_path / "x.parquet"
    bad_parquet.write_bytes(b"PAR1 nope")
    truncated = tmp_path / "t.jsonl.gz"
    whole = gzip.compress(b"".join(b"{\"a\": %d}\n" % i for i in range(5000)))
    hollow = tmp_path / "hollow"
    (hollow / "_entities").mkdir(parents=True)
    (hollow / "_entities" / "x.cards.csv").write_text("a\n1\n")
    truncated.write_bytes(whole[:len(whole) // 2])
    return {
        "missing": ([str(tmp_path / "nope.csv")], "nope.csv: file not found"),
        "empty": ([str(empty)], "empty.csv: has no rows of data"),
        "header only": ([str(header_only)], "header.csv: has no rows of data"),
        "not gzip": ([str(broken)], "broken.csv.gz: cannot be read"),
        "unknown format": ([str(text)], "notes.txt: not an extract; accepted: *.csv"),
        "bad parquet": ([str(bad_parquet)], "x.parquet: not readable as Parquet"),
        "truncated gzip": ([str(truncated)], "t.jsonl.gz: cannot be read"),
        "a folder without extracts": ([str(hollow)], "no extracts (*.csv"),
    }


@pytest.mark.parametrize("case", ["missing", "empty", "header only", "not gzip",
                                  "unknown format", "bad parquet", "truncated gzip",
                                  "a folder without extracts"])
def test_bad_input_one_line_exit_2(tmp_path, capsys, case):
    samples, message = bad_inputs(tmp_path)[case]
    assert main([*samples, "--out", str(tmp_path / "s.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize(("args", "message"), [
    ([], "give the SAMPLE files"),
    (["x.csv"], "--out is required"),
    (["x.csv", "--out", "o.json", "--sample-rows", "0"], "--sample-rows must be >= 1"),
    (["--compare", "a.csv"], "expected 2 arguments"),
    (["x.csv", "--out", "o.json", "--json", "r.json"], "--json goes with --compare"),
    (["x.csv", "--out", "no/such/folder/o.json"], "no/such/folder/o.json: its folder does not "
                                                  "exist"),
    (["--compare", "a.csv", "b.csv", "--json", "nowhere/r.json"], "nowhere/r.json: its folder"),
])
def test_bad_arguments(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_runs_as_a_script(card, tmp_path):
    out = tmp_path / "s.json"
    done = subprocess.run([sys.executable, str(REPO_ROOT / "services/batch/infer_schema.py"),
                           str(card), "--out", str(out)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    missing = subprocess.run([sys.executable, str(REPO_ROOT / "services/batch/infer_schema.py"),
                              "--compare", str(card), str(tmp_path / "none.csv")],
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_the_readme_commands_run(tmp_path):
    """The README's "From your own data" commands, on a small extract of orders."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## From your own data"):]
    block = section[section.index("```\n") + 4:section.index("\n```", section.index("```\n"))]
    commands = [line.split("#")[0].split() for line in block.splitlines()
                if line.startswith(".venv/bin/python")]
    assert [c[1].rsplit("/", 1)[-1] for c in commands] == [
        "infer_schema.py", "generate_synthetic_data.py", "infer_schema.py"]
    generate(SCHEMAS / "retail_orders.json", tmp_path / "orders.csv", 5000)
    (tmp_path / "data/input").mkdir(parents=True)
    for command in commands:
        args = [sys.executable, str(REPO_ROOT / command[1]),
                *["5000" if a == "1000000" else a for a in command[2:]]]
        done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert done.returncode == 0, (command, done.stderr)
    assert "of 7 columns within the targets" in done.stdout  # 5,000 rows: noisy distances

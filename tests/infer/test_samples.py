"""Reading samples: folders as their extracts' files; rows are limited across files; keys
missing from a file are empty there."""

from __future__ import annotations

import json

from services.infer.samples import read_samples


def test_jsonl_that_arrow_refuses_is_read_by_the_line_reader(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps({"v": v}) for v in [1, "two", 3]) + "\n")
    assert read_samples([path]).columns["v"].to_pylist() == ["1", "two", "3"]


def test_a_folder_is_the_files_of_its_extract(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "part-00000.csv").write_text("x,y\n1,2\n")
    (tmp_path / "parts" / "part-00001.csv").write_text("x,y\n3,4\n")
    (tmp_path / "parts" / "_SUCCESS").write_text("")
    (tmp_path / ".a.csv.tmp").write_text("x,y\n9,9\n")
    sample = read_samples([tmp_path])
    assert sample.rows == 2 and sample.columns["x"].to_pylist() == ["1", "3"]
    assert [p.name for p in sample.files] == ["part-00000.csv", "part-00001.csv"]


def test_rows_limit_and_missing_keys(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("x,y\n1,2\n3,4\n")
    second = tmp_path / "b.csv"
    second.write_text("y,z\n5,6\n7,8\n")
    sample = read_samples([first, second], limit=3)
    assert sample.rows == 3 and list(sample.columns) == ["x", "y", "z"]
    assert sample.columns["x"].to_pylist() == ["1", "3", None]
    assert sample.columns["z"].to_pylist() == [None, None, "6"]

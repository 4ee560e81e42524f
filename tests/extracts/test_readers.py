"""Reading extracts: trimmed keys and values, blank rows skipped, bad rows counted with their
file and line, in CSV, JSONL and gzip; which files of a folder make the extract."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from services.extracts import (
    ACCEPTED,
    ExtractError,
    NoExtractsError,
    concat_extracts,
    find_extracts,
    is_extract,
    is_stray,
    is_written,
    kind_of,
    local_extracts,
    local_listing,
    read_extract,
    text_batches,
)
from services.extracts.csv_reader import csv_batches
from services.extracts.jsonl_reader import arrow_jsonl, jsonl_batches
from services.schema import OutputSpec
from services.schema.model import OUTPUT_FORMATS, SELF_COMPRESSED
from tests.schemas import CARD, generate


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(gzip.compress(text) if path.name.endswith(".gz") else text)
    return path


def test_csv_rows_are_dicts_with_trimmed_keys_and_values(tmp_path):
    path = write(tmp_path / "a.csv", ' id , city ,note\n1,  Paris ," a, b "\n2,Lyon,\n')
    extract = read_extract(path)
    assert extract.names == ("id", "city", "note")
    assert extract.rows() == [{"id": "1", "city": "Paris", "note": "a, b"},
                              {"id": "2", "city": "Lyon", "note": None}]
    assert extract.bad == []


def test_blank_rows_are_skipped_silently(tmp_path):
    text = "id,city\n\n1,Paris\n   \n , \n2,Lyon\n\n"
    extract = read_extract(write(tmp_path / "a.csv", text))
    assert [r["id"] for r in extract.rows()] == ["1", "2"]
    assert extract.bad == []


def test_wrong_column_counts_are_reported_with_file_and_physical_line(tmp_path):
    text = ('id,city,note\n'
            '1,Paris,x\n'
            '\n'
            '2,Lyon\n'                       # line 4: too few
            '3,"Nice\nCote d\'Azur",y\n'     # lines 5-6: one row, a quoted newline
            '4,Rome,z,extra\n'               # line 7: too many
            '5,Oslo,w\n')
    path = write(tmp_path / "a.csv", text)
    extract = read_extract(path)
    assert [r["id"] for r in extract.rows()] == ["1", "3", "5"]
    assert extract.rows()[1]["city"] == "Nice\nCote d'Azur"
    assert [str(b) for b in extract.bad] == [
        f"{path}:4: 2 fields, the header has 3",
        f"{path}:7: 4 fields, the header has 3",
    ]
    # lines of kept rows, for later problems (a bad timestamp, say)
    assert extract.lines_of(np.array([0, 1, 2])).tolist() == [2, 5, 8]


def test_a_row_that_is_not_utf8_is_bad_the_rest_is_read(tmp_path):
    path = write(tmp_path / "a.csv", b"id,city\n1,Paris\n2,\xffLyon\n3,Nice\n")
    extract = read_extract(path)
    assert [r["id"] for r in extract.rows()] == ["1", "3"]
    assert [str(b) for b in extract.bad] == [f"{path}:3: not valid UTF-8 text"]


def test_byte_order_mark_and_gzip(tmp_path):
    path = write(tmp_path / "a.csv.gz", "\ufeffid,city\n1,Paris\n")
    assert read_extract(path).rows() == [{"id": "1", "city": "Paris"}]


def test_header_problems_refuse_the_file(tmp_path):
    with pytest.raises(ExtractError, match="'city' more than once"):
        read_extract(write(tmp_path / "a.csv", "city, city\n1,2\n"))
    with pytest.raises(ExtractError, match="column 2 of the header has no name"):
        read_extract(write(tmp_path / "b.csv", "id,,x\n1,2,3\n"))


def test_empty_and_header_only_files_have_no_rows(tmp_path):
    assert read_extract(write(tmp_path / "a.csv", "")).num_rows == 0
    assert read_extract(write(tmp_path / "b.csv", "id,city\n")).num_rows == 0


def test_jsonl_keeps_json_types_and_reports_bad_lines(tmp_path):
    lines = [
        '{" id ": 1, "city": " Paris ", "amount": 12.5, "ok": true, "geo": {"lat": 1.5}}',
        "",
        "not json",
        "[1, 2]",
        '{"id": 2, "city": "Lyon", "amount": NaN}',
        '{"id": 3, "city": "", "amount": null}',
        "{}",
        '{"id": 4, "extra": "x"}',
    ]
    path = write(tmp_path / "a.jsonl", "\n".join(lines) + "\n")
    extract = read_extract(path)
    assert extract.rows() == [
        {"id": 1, "city": "Paris", "amount": 12.5, "ok": True, "geo": {"lat": 1.5}},
        {"id": 3, "city": None, "amount": None},
        {"id": 4, "extra": "x"},
    ]
    reasons = [(b.line, b.reason.split(" (")[0]) for b in extract.bad]
    assert reasons == [(3, "not valid JSON"), (4, "not a JSON object but list"),
                       (5, "not valid JSON")]


def test_generated_extracts_read_the_same_in_every_format(tmp_path):
    csv_rows = read_extract(generate(CARD, tmp_path, 300, name="c")).rows()
    jsonl = read_extract(generate(CARD, tmp_path, 300, fmt="jsonl", gzip=True, name="j")).rows()
    assert len(csv_rows) == len(jsonl) == 300
    for text_row, typed_row in zip(csv_rows, jsonl, strict=True):
        assert text_row == {k: (json.dumps(v) if isinstance(v, (bool, int, float)) else v)
                            for k, v in typed_row.items()}


def test_find_extracts_walks_subfolders_and_skips_hidden_and_underscore_paths(tmp_path):
    names = ("b.csv", "a.jsonl.gz", "e.JSON", ".b.csv.tmp-12", ".hidden.csv", "_SUCCESS",
             "x.txt", "c.parquet", "parts/part-00000.csv", "parts/_SUCCESS",
             "parts/_entities/p.cards.csv", "parts/.part-1.csv.tmp", ".staging/f.csv",
             "_temporary/0/g.csv", "deep/er/h.csv.gz", "README.md")
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("id\n")
    found = [p.relative_to(tmp_path).as_posix() for p in find_extracts(tmp_path)]
    assert found == ["a.jsonl.gz", "b.csv", "c.parquet", "deep/er/h.csv.gz",
                     "parts/part-00000.csv"]
    assert find_extracts(tmp_path / "b.csv") == [tmp_path / "b.csv"]
    # a .json file is no part of a folder's extract, but read as JSON Lines when named
    assert find_extracts(tmp_path / "e.JSON") == [tmp_path / "e.JSON"]


def test_find_extracts_says_what_is_missing(tmp_path):
    with pytest.raises(NoExtractsError, match="does not exist"):
        find_extracts(tmp_path / "nope")
    with pytest.raises(NoExtractsError, match=r"no extracts \(\*\.csv, \*\.jsonl .* in "):
        find_extracts(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(NoExtractsError, match=r"notes.txt: not an extract; accepted: \*\.csv"):
        find_extracts(tmp_path / "notes.txt")


def test_batches_keep_rows_lines_and_bad_rows_of_the_whole_file(tmp_path):
    lines = ["id,note"]
    bad_lines, note_lines = [], {}
    for i in range(3000):
        if i % 500 == 7:
            lines.append(f"{i}")  # bad: one field
            bad_lines.append(len(lines))
        elif i % 700 == 3:
            lines.append(f'{i},"two\nlines"')
            note_lines[str(i)] = len(lines)
            lines.append("")  # stands for the second physical line of the value
        else:
            lines.append(f"{i},n{i}")
    text = "\n".join(line for line in lines if line != "") + "\n"
    path = write(tmp_path / "big.csv", text)
    batches = list(csv_batches(path, block_bytes=1 << 12))
    assert len(batches) > 5
    whole = concat_extracts(path, batches)
    ids = [r["id"] for r in whole.rows()]
    assert ids == [str(i) for i in range(3000) if i % 500 != 7]
    assert [b.line for b in whole.bad] == bad_lines
    rows = np.array([ids.index(i) for i in note_lines])
    assert whole.lines_of(rows).tolist() == list(note_lines.values())


def test_jsonl_batches_with_different_keys_join_up(tmp_path):
    path = write(tmp_path / "a.jsonl", "\n".join(
        json.dumps({"id": i, **({"extra": i} if i >= 5 else {})}) for i in range(8)) + "\n")
    batches = list(jsonl_batches(path, rows_per_batch=3))
    assert [b.num_rows for b in batches] == [3, 3, 2]
    rows = concat_extracts(path, batches).rows()
    assert rows == [{"id": i, **({"extra": i} if i >= 5 else {})} for i in range(8)]


def test_arrow_jsonl_gives_the_rows_and_text_of_the_jsonl_reader(tmp_path):
    lines = ['{"id": 1, "who": " a ", "n": -5, "ok": true}', "", '{"id": 2, "who": null}',
             "{}", '{"id": null, "who": "", "n": null}', '{"id": 3, "who": "b", "ok": false}']
    path = write(tmp_path / "x.jsonl.gz", "\n".join(lines * 500) + "\n")
    fast, slow = arrow_jsonl(path), read_extract(path)
    assert fast.num_rows == slow.num_rows == 1500
    assert list(fast.columns) == list(slow.columns)
    for name, column in slow.columns.items():
        assert fast.columns[name].text.to_pylist() == column.text.to_pylist(), name
    assert [b.num_rows for b in text_batches(path)] == [1500]


def test_jsonl_that_arrow_refuses_is_read_line_by_line(tmp_path):
    path = write(tmp_path / "mixed.json", "\n".join(json.dumps({"v": v}) for v in [1, "two"]))
    assert arrow_jsonl(path) is None
    [batch] = text_batches(path)
    assert batch.columns["v"].text.to_pylist() == ["1", "two"]


@pytest.mark.parametrize(("fmt", "gz"), [(f, gz) for f in OUTPUT_FORMATS for gz in (False, True)
                                          if f not in SELF_COMPRESSED or not gz])
def test_every_file_the_generator_writes_is_an_extract_of_its_format(fmt, gz):
    name = "orders" + OutputSpec(fmt, gz).suffix
    assert is_written(name) and is_written(name.upper())
    assert is_extract(name) and is_extract(f"sub/{name}") and kind_of(name) == fmt
    assert not is_extract(f"_entities/{name}") and not is_extract(f".{name}.tmp")
    assert not is_stray(name)


def test_an_avro_file_is_read_with_the_folder_and_named_alone(tmp_path, caplog):
    """The generator's Avro files are extracts like the others (the batch job applies the
    same is_extract to what Hadoop lists), their entity tables tables."""
    extract = generate(CARD, tmp_path, 20)
    avro = generate(CARD, tmp_path, 30, fmt="avro", name="events")
    listing = local_listing(tmp_path)
    assert listing.extracts == [extract, avro] and not listing.skipped
    assert [p.name for p in listing.tables] == ["card_transactions.cards.csv",
                                                "events.cards.avro"]
    caplog.set_level("WARNING")
    assert find_extracts(tmp_path) == [extract, avro] and not caplog.records
    assert find_extracts(avro) == [avro] and read_extract(avro).num_rows == 30
    assert "*.avro" in ACCEPTED


def _rows_of(batches: list) -> tuple[list[str], list[str], list[int]]:
    whole = concat_extracts(batches[0].path, batches)
    ids = [r["id"] for r in whole.rows()]
    return ids, [str(b) for b in whole.bad], whole.lines_of(np.arange(whole.num_rows)).tolist()


def _numbered(count: int, start: int = 1) -> list[bytes]:
    return [b"%d,city%d,2025-01-01T00:00:%02d" % (i, i, i % 60) for i in range(start,
                                                                          start + count)]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("block", [1 << 10, 1 << 22], ids=["small-blocks", "one-block"])
def test_one_bad_row_of_each_kind_costs_that_row_only(tmp_path, gz, block):
    """Not UTF-8 (with the right and the wrong number of fields), an unterminated quote, a
    10 MB value (longer than a block of CSV), too many fields: each is its own line, and
    every other row is read, on the line it is on."""
    good = _numbered(400)
    bad = {
        60: b"bad1,Par\xe9s,2025-01-01T00:00:00",            # Latin-1: not UTF-8
        120: b"bad2,\xff\xfe,2025-01-01T00:00:00,extra",     # not UTF-8, 4 fields
        180: b'bad3,"Nice,2025-01-01T00:00:00',               # a quote never closed ...
        240: b"bad4,city,2025-01-01T00:00:00,extra",         # too many fields
        300: b"bad5," + b"x" * (10 << 20),  # 10 MB, one field too few
    }
    lines = [b"id,city,order_time"]
    for i, row in enumerate(good, 2):
        if i in bad:
            lines.append(bad[i])
        lines.append(row)
    path = write(tmp_path / ("a.csv.gz" if gz else "a.csv"), b"\n".join(lines) + b"\n")
    ids, problems, found = _rows_of(list(csv_batches(path, block_bytes=block)))
    assert ids == [str(i) for i in range(1, 401)]  # ... is closed by nothing: rows go on
    where = {line: i for i, line in enumerate(lines, 1)}
    assert found == [where[row] for row in good]
    assert problems == [
        f"{path}:60: not valid UTF-8 text",
        f"{path}:121: 4 fields, the header has 3",
        f"{path}:182: 2 fields, the header has 3 (an unterminated quote?); the lines after "
        "it are read again",
        f"{path}:243: 4 fields, the header has 3",
        f"{path}:304: 2 fields, the header has 3",
    ]


def test_a_quote_that_swallows_lines_up_to_another_quote_gives_the_lines_back(tmp_path):
    text = ('id,city,note\n'
            '1,"Nice,a\n'                   # line 2: opened here ...
            '2,Lyon,b\n'
            '3,"Oslo, Norway",c\n'          # ... closed by this line's first quote
            '4,"two\nlines",d\n'            # lines 5-6: a good quoted newline
            '5,Rome,e\n')
    path = write(tmp_path / "a.csv", text)
    ids, problems, found = _rows_of(list(csv_batches(path)))
    assert problems[0].startswith(f"{path}:2: ")
    assert ids[0] == "2" and ids[-2:] == ["4", "5"] and found[0] == 3 and found[-2:] == [5, 7]
    assert set(ids) <= {"2", "3", "4", "5"}  # line 4 may be bad: it held the closing quote


def test_utf8_stream_replaces_bad_bytes_and_keeps_characters_cut_by_a_read(tmp_path):
    from io import BytesIO

    from services.extracts.csv_reader import Utf8Stream

    data = ("é" * 5 + "\n").encode() * 3 + b"\xff\n" + "€\n".encode()
    for size in (1, 2, 3, 5, 64):
        stream = Utf8Stream(BytesIO(data))
        out = b""
        while chunk := stream.read(size):
            out += chunk
        assert out.decode() == ("é" * 5 + "\n") * 3 + "\ufffd\n€\n"
        assert stream.bad_lines == [4]


def test_the_listing_names_entity_tables_and_the_files_it_skips(tmp_path, caplog):
    names = ("a.csv", "_entities/a.cards.csv", "_entities/notes.txt", "parts/part-00000.csv",
             "parts/_entities/p.cards.csv", ".hidden/_entities/h.cards.csv",
             "_other/_entities/o.cards.csv", "schema.json", "deep/notes.txt", "_SUCCESS")
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("id\n")
    listing = local_listing(tmp_path)

    def rel(paths):
        return [p.relative_to(tmp_path).as_posix() for p in paths]

    assert rel(listing.extracts) == ["a.csv", "parts/part-00000.csv"]
    assert rel(listing.tables) == ["_entities/a.cards.csv", "parts/_entities/p.cards.csv"]
    assert rel(listing.skipped) == ["deep/notes.txt", "schema.json"]
    caplog.set_level("WARNING")
    assert rel(local_extracts(tmp_path)) == rel(listing.extracts)
    assert [r.getMessage() for r in caplog.records] == [
        f"skipped {tmp_path / n}: not an extract (read: {ACCEPTED})"
        for n in ("deep/notes.txt", "schema.json")]

"""A pipeline's output read as window x group rows: our sink (committed files only), CSV,
JSONL and Parquet files and folders, every spelling of a window start, and located errors."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.streamcheck import OutputColumns, OutputError, output_files, read_output
from tests.dashboards.fixtures import PRODUCTS, window_frame, write_sink

COLUMNS = OutputColumns("product")
T0 = 1_741_000_500_000 // 900_000 * 900_000  # 2025-03-03T11:15:00Z
ROWS = [("Latte", T0, 5, 20.5), ("Mug", T0, 2, 10.0), ("Latte", T0 + 900_000, 1, 3.25)]


def iso(ms: int) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def as_tuples(rows) -> list[tuple]:
    return sorted(zip(rows.groups.tolist(), rows.start_ms.tolist(), rows.counts.tolist(),
                      rows.sums.tolist(), strict=True))


def csv_text(rows=ROWS, start=iso, header="product,window_start,event_count,revenue") -> str:
    return "\n".join([header, *(f"{g},{start(s)},{c},{v}" for g, s, c, v in rows)]) + "\n"


def test_csv_file(tmp_path: Path):
    path = tmp_path / "out.csv"
    path.write_text(csv_text())
    rows = read_output(path, COLUMNS)
    assert as_tuples(rows) == sorted(ROWS)
    assert rows.where(0) == f"{path}:2" and rows.where(2) == f"{path}:4"


def test_jsonl_file_with_epoch_milliseconds_and_float_counts(tmp_path: Path):
    path = tmp_path / "out.jsonl"
    path.write_text("".join(json.dumps({"product": g, "window_start": s,
                                        "event_count": float(c), "revenue": v}) + "\n"
                            for g, s, c, v in ROWS))
    assert as_tuples(read_output(path, COLUMNS)) == sorted(ROWS)


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
@pytest.mark.parametrize("tz", ["UTC", None, "Europe/Paris"])
def test_parquet_file_with_timestamps(tmp_path: Path, unit, tz):
    path = tmp_path / "out.parquet"
    table = pa.table({
        "product": [r[0] for r in ROWS],
        "window_start": pa.array([r[1] for r in ROWS], pa.timestamp("ms", tz)).cast(
            pa.timestamp(unit, tz)),
        "event_count": pa.array([r[2] for r in ROWS], pa.int64()),
        "revenue": [r[3] for r in ROWS],
    })
    pq.write_table(table, path)
    rows = read_output(path, COLUMNS)
    assert as_tuples(rows) == sorted(ROWS)
    assert rows.where(1) == f"{path} row 2"


def test_our_sink_reads_only_committed_files(tmp_path: Path):
    sink = tmp_path / "streaming_product_revenue"
    frame = window_frame(PRODUCTS[:3], 4)
    write_sink(sink, [frame.iloc[:6], frame.iloc[6:]])
    stray = frame.iloc[:2].assign(event_count=999)  # a failed batch's file, never committed
    pq.write_table(pa.Table.from_pandas(stray, preserve_index=False),
                   sink / "part-00009-failed.c000.snappy.parquet")
    rows = read_output(sink, COLUMNS)
    assert len(rows) == len(frame) and 999 not in rows.counts
    starts = (frame["window_start"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    assert sorted(rows.start_ms.tolist()) == sorted(starts.tolist())
    assert rows.sums.sum() == pytest.approx(frame["revenue"].sum())
    empty = tmp_path / "empty_sink"
    (empty / "_spark_metadata").mkdir(parents=True)
    assert len(read_output(empty, COLUMNS)) == 0  # nothing committed yet


def test_a_folder_of_part_files(tmp_path: Path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "part-0.csv").write_text(csv_text(ROWS[:2]))
    (folder / "part-1.csv").write_text(csv_text(ROWS[2:]))
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.csv.crc").write_text("x")
    rows = read_output(folder, COLUMNS)
    assert as_tuples(rows) == sorted(ROWS)
    assert rows.where(2) == f"{folder / 'part-1.csv'}:2"


def test_format_chooses_the_reader_and_the_files(tmp_path: Path):
    odd = tmp_path / "windows.txt"
    odd.write_text(csv_text())
    with pytest.raises(OutputError, match="its name does not tell the format"):
        read_output(odd, COLUMNS)
    assert len(read_output(odd, COLUMNS, "csv")) == 3
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.csv").write_text(csv_text(ROWS[:1]))
    (folder / "b.jsonl").write_text(json.dumps({"product": "Mug", "window_start": T0,
                                                "event_count": 2, "revenue": 10}) + "\n")
    assert len(read_output(folder, COLUMNS)) == 2
    assert read_output(folder, COLUMNS, "jsonl").groups.tolist() == ["Mug"]
    with pytest.raises(OutputError, match=r"no output files \(parquet files\)"):
        read_output(folder, COLUMNS, "parquet")
    with pytest.raises(OutputError, match="unknown format 'xml'"):
        read_output(folder, COLUMNS, "xml")


@pytest.mark.parametrize("text", [
    "2025-03-03T11:15:00Z", "2025-03-03 11:15:00", "2025-03-03T11:15:00", "2025-03-03T11:15",
    "2025-03-03T12:15:00+01:00", "2025-03-03T06:15:00-0500", "2025-03-03 11:15:00.000Z",
    "2025-03-03T11:15:00.000+00:00", str(T0), f"{T0}.0",
])
def test_every_spelling_of_a_window_start(tmp_path: Path, text):
    path = tmp_path / "out.csv"
    path.write_text(f"product,window_start,event_count,revenue\nLatte,{text},1,1.5\n")
    assert read_output(path, COLUMNS).start_ms.tolist() == [T0]


def test_columns_named_otherwise(tmp_path: Path):
    path = tmp_path / "out.csv"
    path.write_text(csv_text(header="item,start,n,total"))
    columns = OutputColumns("item", start="start", count="n", sum="total")
    assert as_tuples(read_output(path, columns)) == sorted(ROWS)


def test_a_missing_column_names_its_option_and_the_columns_present(tmp_path: Path):
    path = tmp_path / "out.csv"
    path.write_text(csv_text(header="product,window_start,events,revenue"))
    with pytest.raises(OutputError) as caught:
        read_output(path, COLUMNS)
    assert str(caught.value) == (f"{path}: no column 'event_count' (named by --count-column); "
                                 "its columns are product, window_start, events, revenue")


@pytest.mark.parametrize(("line", "message"), [
    ("Latte,yesterday,1,1.5", ":3: column 'window_start': expected a window start: ISO-8601"),
    ("Latte,2025-13-03T11:15:00Z,1,1.5", ":3: column 'window_start': expected a window start"),
    ("Latte,2025-03-03T11:15:00Z,-1,1.5", ":3: column 'event_count': expected a whole number "
                                          ">= 0, got '-1'"),
    ("Latte,2025-03-03T11:15:00Z,1.5,1.5", ":3: column 'event_count': expected a whole "
                                           "number >= 0, got '1.5'"),
    ("Latte,2025-03-03T11:15:00Z,1,abc", ":3: column 'revenue': expected a number, got 'abc'"),
    ("Latte,2025-03-03T11:15:00Z,1,nan", ":3: column 'revenue': expected a number, no value"),
    ("Latte,2025-03-03T11:15:00Z,1,", ":3: column 'revenue': expected a number, no value"),
    (",2025-03-03T11:15:00Z,1,1.5", ":3: column 'product': expected a group value, no value"),
    ("Latte,2025-03-03T11:15:00Z,1,1.5,extra", ":3: 5 fields, the header has 4"),
])
def test_a_bad_value_names_its_file_line_and_column(tmp_path: Path, line, message):
    path = tmp_path / "out.csv"
    path.write_text(csv_text(ROWS[:1]) + line + "\n" + csv_text(ROWS[1:]).split("\n", 1)[1])
    with pytest.raises(OutputError) as caught:
        read_output(path, COLUMNS)
    assert str(caught.value).startswith(f"{path}{message}"), caught.value


def test_a_bad_parquet_value_names_its_row(tmp_path: Path):
    path = tmp_path / "out.parquet"
    pq.write_table(pa.table({"product": ["a", "b", "c"], "window_start": [T0, T0, T0],
                             "event_count": [1, -2, 3], "revenue": [1.0, 2.0, 3.0]}), path)
    with pytest.raises(OutputError, match=r"out\.parquet row 2: column 'event_count'"):
        read_output(path, COLUMNS)


def test_a_jsonl_row_without_the_key(tmp_path: Path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"product": "a", "window_start": 1, "event_count": 1, "revenue": 1}\n'
                    '{"product": "a", "window_start": 1, "event_count": 1}\n')
    with pytest.raises(OutputError, match=r"out\.jsonl:2: column 'revenue': expected a number, "
                                          "no value"):
        read_output(path, COLUMNS)


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "nothing", "no such file or folder"),
    (lambda p: p, "no output files"),
    (lambda p: (p / "x.parquet").write_bytes(b"not parquet") and p / "x.parquet",
     "not readable as Parquet"),
])
def test_outputs_that_are_not_there(tmp_path: Path, make, message):
    with pytest.raises(OutputError, match=message):
        read_output(make(tmp_path), COLUMNS)


def test_a_sink_log_that_cannot_be_read(tmp_path: Path):
    log = tmp_path / "sink" / "_spark_metadata"
    log.mkdir(parents=True)
    (log / "0").write_text("v1\n{not json\n")
    with pytest.raises(OutputError, match="the sink log cannot be read"):
        output_files(tmp_path / "sink")


def test_rows_without_places_say_nothing_of_where():
    from services.streamcheck import OutputRows

    rows = OutputRows.of(["a"], [0], [1], [1.0])
    assert rows.where(0) == "" and len(rows) == 1
    assert rows.groups.dtype == object and rows.start_ms.dtype == np.int64


def test_an_avro_file_reads_and_a_bad_value_names_its_row(tmp_path: Path):
    """A user's Avro output (fastavro's writer): windows as timestamp-millis, places as rows."""
    schema = {"type": "record", "name": "w", "fields": [
        {"name": "product", "type": "string"},
        {"name": "window_start", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "event_count", "type": "long"}, {"name": "revenue", "type": "double"}]}
    path = tmp_path / "out.avro"
    with path.open("wb") as out:
        fastavro.writer(out, schema, [dict(zip(("product", "window_start", "event_count",
                                                "revenue"), r, strict=True)) for r in ROWS])
    rows = read_output(path, COLUMNS)
    assert as_tuples(rows) == sorted(ROWS) and rows.where(1) == f"{path} row 2"
    with path.open("wb") as out:
        fastavro.writer(out, schema, [{"product": "a", "window_start": T0, "event_count": c,
                                       "revenue": 1.0} for c in (1, -2)])
    with pytest.raises(OutputError, match=r"out\.avro row 2: column 'event_count'"):
        read_output(path, COLUMNS)

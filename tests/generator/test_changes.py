"""--cdc: the envelopes follow the state machine, applying them in order to an empty table
gives the final table written beside them, the file is the same for any worker count, and
misuse is refused with one located line."""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest

from services.commands import generate as main
from services.generator import generate_table
from services.generator.block import BLOCK_SIZE
from services.generator.change_output import write_changes
from services.generator.changes import SEQ_SCALE
from services.schema import parse_schema
from tests.cdc import CHANGES, cdc_doc, envelopes
from tests.generator.test_determinism import digest
from tests.schemas import CARD

N = 2 * BLOCK_SIZE + 321  # episodes: two full blocks and a short one
SEED = 7
KEY = "eid"


def key_of(change: dict):
    return (change["after"] or change["before"])[KEY]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """(dataset, envelopes, final rows read back from JSON Lines) of one run."""
    folder = tmp_path_factory.mktemp("cdc")
    ds = parse_schema(cdc_doc()).with_overrides(entity_count=N, output_format="jsonl")
    result = write_changes(ds, folder / "e.changes.jsonl", folder / "_final" / "e.jsonl",
                           False, SEED)
    final = [json.loads(line) for line in result.final_path.read_text().splitlines()]
    return ds, envelopes(result.path), final


@pytest.fixture(scope="module")
def rows(run) -> pd.DataFrame:
    """The same run's lifecycle rows (one per change), in their output order."""
    ds = run[0]
    return generate_table(ds, SEED).to_pandas()


def test_one_envelope_per_lifecycle_row_in_the_same_order(run, rows):
    _, changes, _ = run
    assert len(changes) == len(rows) > 2 * N
    assert [key_of(c) for c in changes] == rows[KEY].tolist()
    epoch_ms = (rows["t"] - pd.Timestamp(0)) // pd.Timedelta(milliseconds=1)
    assert [c["ts_ms"] for c in changes] == epoch_ms.tolist()
    assert {c["source"]["table"] for c in changes} == {"episodes"}
    assert set(changes[0]) == {"before", "after", "op", "ts_ms", "source"}


def test_envelopes_follow_the_state_machine(run, rows):
    _, changes, _ = run
    last: dict = {}
    for change, state in zip(changes, rows["state"], strict=True):
        key = key_of(change)
        if key not in last:
            assert change["op"] == "c" and change["before"] is None and state == "a"
        else:
            assert change["before"] == last[key] and change["op"] in "ud"
        if state == "d":
            assert change["op"] == "d" and change["after"] is None
        else:
            assert change["op"] != "d" and change["after"]["state"] == state
        last[key] = change["after"]
    assert {c["op"] for c in changes} == {"c", "u", "d"}


def test_after_is_the_row_with_per_state_fields_carried_once_set(run, rows):
    _, changes, _ = run
    frame = rows.copy()
    drawn = {"note": "b", "amount": "c"}
    for field, state in drawn.items():  # the field's latest draw in its episode
        frame[field] = frame[field].where(frame["state"] == state)
        frame[field] = frame.groupby(KEY, sort=False)[field].ffill()
    afters = [c["after"] for c in changes]
    for field in drawn:
        got = [a[field] if a else None for a in afters]
        want = [None if pd.isna(v) or a is None else v for v, a in zip(frame[field], afters,
                                                                   strict=True)]
        assert got == want
    # a redraw replaces the value: some episode shows two notes
    notes = frame.dropna(subset=["note"]).groupby(KEY)["note"].nunique()
    assert (notes > 1).any()
    moved = [a for a in afters if a and a["state"] == "a" and a["note"] is not None]
    assert moved  # a -> b -> a: the note stays on the row


def test_seq_orders_the_changes_and_ts_ms_never_goes_back(run):
    _, changes, _ = run
    seq = [c["source"]["seq"] for c in changes]
    assert all(a < b for a, b in itertools.pairwise(seq)) and max(seq) < 2 ** 53
    assert all(s // SEQ_SCALE == c["ts_ms"] // 1000 for s, c in zip(seq, changes, strict=True))
    ts = [c["ts_ms"] for c in changes]
    assert ts == sorted(ts)


def test_applying_the_changes_in_order_gives_the_final_table(run):
    _, changes, final = run
    table: dict = {}
    for change in changes:  # a replay in pandas terms: upsert on c/u, drop on d
        if change["op"] == "d":
            del table[change["before"][KEY]]
        else:
            table[change["after"][KEY]] = change["after"]
    replayed = pd.DataFrame(list(table.values())).sort_values(KEY).reset_index(drop=True)
    written = pd.DataFrame(final).sort_values(KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(replayed, written)
    assert 0 < len(written) < N  # deletes left rows out


def test_the_final_table_is_written_in_the_runs_format(tmp_path):
    ds = parse_schema(cdc_doc()).with_overrides(entity_count=3000)
    result = write_changes(ds, tmp_path / "e.changes.jsonl", tmp_path / "_final" / "e.csv",
                           False, SEED)
    table = pd.read_csv(result.final_path)
    assert list(table.columns) == list(ds.names) and len(table) == result.final_rows
    assert table[KEY].is_unique and "d" not in set(table["state"])


@pytest.mark.parametrize("gz", [False, True])
def test_byte_identical_for_any_worker_count(tmp_path, gz):
    ds = parse_schema(cdc_doc()).with_overrides(entity_count=N, gzip=gz)
    digests = set()
    for workers in (1, 2, 3):
        name = f"w{workers}.changes.jsonl" + (".gz" if gz else "")
        result = write_changes(ds, tmp_path / name, tmp_path / "_final" / f"w{workers}.csv",
                               gz, SEED, workers=workers)
        digests.add((digest(result.path), digest(result.final_path)))
    assert len(digests) == 1


def test_the_command_writes_both_files_under_the_documented_names(tmp_path, capsys):
    schema = tmp_path / "episodes.json"
    schema.write_text(json.dumps(cdc_doc()))
    assert main(["--config", str(schema), "--cdc", "--n", "2000", "--output-dir",
                 str(tmp_path / "out"), "--gzip", "--no-progress"]) == 0
    out = capsys.readouterr().out
    changes = tmp_path / "out" / "episodes.changes.jsonl.gz"
    final = tmp_path / "out" / "_final" / "episodes.csv.gz"
    assert f"changes to {changes}" in out and f"final table {final}" in out
    assert len(envelopes(changes)) > 2000 and len(pd.read_csv(final)) > 0


@pytest.mark.parametrize("argv,message", [
    (["--config", str(CARD)], "has no lifecycle"),
    (["--out", "x.csv"], "must end in .jsonl or .jsonl.gz"),
    (["--clear-output"], "--clear-output does not apply to --cdc"),
])
def test_the_command_refuses_misuse_in_one_line(tmp_path, capsys, argv, message):
    schema = tmp_path / "episodes.json"
    schema.write_text(json.dumps(cdc_doc()))
    args = ["--config", str(schema), "--cdc", "--n", "10", "--output-dir", str(tmp_path)]
    if argv[0] == "--out":
        args.remove("--output-dir")
        args.remove(str(tmp_path))
    assert main(args + argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_lifecycle_without_changes_is_refused(tmp_path, capsys):
    schema = tmp_path / "episodes.json"
    document = cdc_doc()
    del document["entities"]["users"]["lifecycle"]["changes"]
    schema.write_text(json.dumps(document))
    assert main(["--config", str(schema), "--cdc", "--output-dir", str(tmp_path)]) == 2
    assert 'entities.users.lifecycle has no "changes"' in capsys.readouterr().err


def test_changes_are_parsed_from_the_lifecycle():
    changes = parse_schema(cdc_doc()).lifecycle.changes
    assert (changes.key, changes.table, changes.deletes) == (KEY, "episodes", ("d",))
    assert CHANGES["deletes"] == ["d"]


def test_spark_cdc_options_give_the_change_parts_gzip_and_the_tables_format(tmp_path):
    from services.generator.cdc_cli import cdc_parts
    from services.generator.cli import parse_args

    schema = tmp_path / "episodes.json"
    schema.write_text(json.dumps(cdc_doc()))
    options = parse_args(["--config", str(schema), "--cdc", "--engine", "spark", "--out",
                          str(tmp_path / "parts.gz"), "--format", "jsonl", "--n", "50"])
    ds, gz = cdc_parts(options, parse_schema(cdc_doc()))
    assert gz and (ds.output.format, ds.output.gzip, ds.entity_count) == ("jsonl", True, 50)
    options = parse_args(["--config", str(schema), "--cdc", "--engine", "spark", "--out",
                          str(tmp_path / "parts"), "--format", "parquet"])
    ds, gz = cdc_parts(options, parse_schema(cdc_doc()))
    assert not gz and (ds.output.format, ds.output.gzip) == ("parquet", False)


def test_a_second_with_more_changes_than_seq_numbers_is_refused(monkeypatch):
    import pyarrow as pa

    from services.generator import changes

    monkeypatch.setattr(changes, "SEQ_SCALE", 2)
    written = pa.table({changes.SECOND: pa.array([5, 5, 6, 7, 7, 7], pa.int64())})
    with pytest.raises(changes.TooManyChanges, match="more than 2 changes in the second 7"):
        next(changes.change_lines(parse_schema(cdc_doc()), written))

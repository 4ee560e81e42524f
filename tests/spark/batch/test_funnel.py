"""A lifecycle dataset's funnel: exact on a handmade walk, equal to a pandas recomputation
on generated episodes, and written by the batch job beside its CSV."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.generator import write_dataset
from services.outputs import BatchOutputs
from services.schema import parse_schema
from services.spark.funnel import COLUMNS, episode_field, funnel
from tests.lifecycles import DOC
from tests.spark.batch.recompute import read_part_csv, run_job, settings_for

pytestmark = pytest.mark.spark
DATASET = parse_schema(DOC)
LIFECYCLE = DATASET.lifecycle
KEYS = ["date", "state", "next_state"]
T0 = datetime(2025, 1, 1, 23, 0, 0)


def walk(spark, episodes: dict[str, list[tuple[str, int]]]):
    """Rows (eid, state, t) of episodes given as [(state, seconds after T0)]."""
    rows = [(eid, state, T0 + timedelta(seconds=s))
            for eid, steps in episodes.items() for state, s in steps]
    return spark.createDataFrame(rows, "eid string, state string, t timestamp")


def as_table(frame) -> dict[tuple, tuple]:
    return {(str(r["date"]), r["state"], r["next_state"]):
            tuple(r[c] for c in COLUMNS[2:]) for r in frame.collect()}


def test_a_handmade_walk_gives_the_exact_funnel(spark):
    rows = walk(spark, {
        "1": [("a", 0), ("b", 60), ("a", 120), ("b", 300), ("d", 420)],  # a loop, then d
        "2": [("a", 10), ("b", 70), ("d", 100)],
        "3": [("a", 20), ("c", 200)],
        "4": [("a", 3700)],  # starts on 2 January: its own day
        "5": [("a", 30), ("x", 90)],  # a step the lifecycle does not declare
    })
    got = as_table(funnel(rows, LIFECYCLE, "eid", "t", "date"))
    jan1, jan2 = "2025-01-01", "2025-01-02"
    # (reached, moved, conversion, steps, median_s, p90_s)
    assert got == {
        (jan1, "a", "b"): (4, 2, 0.5, 3, 60.0, 156.0),  # steps 60, 180, 60
        (jan1, "a", "c"): (4, 1, 0.25, 1, 180.0, 180.0),
        (jan1, "a", "x"): (4, 1, 0.25, 1, 60.0, 60.0),
        (jan1, "b", "a"): (2, 1, 0.5, 1, 60.0, 60.0),
        (jan1, "b", "d"): (2, 2, 1.0, 2, 75.0, 111.0),  # steps 120, 30
        (jan1, "c", None): (1, 0, 0.0, 0, None, None),
        (jan1, "d", None): (2, 0, 0.0, 0, None, None),
        (jan1, "x", None): (1, 0, 0.0, 0, None, None),
        (jan2, "a", "b"): (1, 0, 0.0, 0, None, None),
        (jan2, "a", "c"): (1, 0, 0.0, 0, None, None),
    }


def recomputed(frame: pd.DataFrame) -> pd.DataFrame:
    """The funnel in pandas, from the rows of an extract."""
    frame = frame.sort_values(["eid", "t"])
    frame["date"] = frame.groupby("eid")["t"].transform("min").dt.date.astype(str)
    frame["prev"] = frame.groupby("eid")["state"].shift()
    frame["secs"] = frame.groupby("eid")["t"].diff().dt.total_seconds()
    reached = frame.groupby(["date", "state"])["eid"].nunique().rename("reached")
    steps = frame.dropna(subset=["prev"])
    moves = steps.groupby(["date", "prev", "state"]).agg(
        moved=("eid", "nunique"), steps=("eid", "size"),
        median_s=("secs", lambda s: np.percentile(s, 50)),
        p90_s=("secs", lambda s: np.percentile(s, 90)))
    moves.index = moves.index.set_names(KEYS)
    return moves.reset_index().merge(reached.reset_index(), on=["date", "state"])


def test_generated_episodes_match_a_pandas_recomputation(spark, tmp_path):
    path = tmp_path / "walks.csv"
    write_dataset(DATASET.with_overrides(entity_count=3000), path, seed=5)
    frame = pd.read_csv(path, parse_dates=["t"], dtype={"eid": str})
    rows = spark.createDataFrame(frame[["eid", "state", "t"]])
    got = funnel(rows, LIFECYCLE, "eid", "t", "date").toPandas()
    got["date"] = got["date"].astype(str)
    want = recomputed(frame)
    merged = want.merge(got, on=KEYS, how="left", suffixes=("", "_got"))
    assert len(merged) == len(want) >= 4
    for column in ("reached", "moved", "steps"):
        assert (merged[column] == merged[f"{column}_got"]).all(), column
    for column in ("median_s", "p90_s"):
        assert np.allclose(merged[column], merged[f"{column}_got"]), column
    assert (got["conversion"] - got["moved"] / got["reached"]).abs().max() < 5e-5


def test_the_batch_job_writes_the_funnel_beside_its_csv(spark, folders, tmp_path: Path):
    tmp, inputs = folders
    schema = tmp_path / "walks.json"
    schema.write_text(json.dumps(DOC))
    write_dataset(DATASET.with_overrides(entity_count=800), inputs / "walks.csv", seed=2)
    settings = settings_for(tmp, inputs, SCHEMA_CONFIG_PATH=str(schema))
    assert run_job(spark, settings) == 0
    got = read_part_csv(BatchOutputs(Path(settings.out_local_csv)).funnel_dir)
    frame = pd.read_csv(inputs / "walks.csv", parse_dates=["t"], dtype={"eid": str})
    want = recomputed(frame)
    got = got.rename(columns={got.columns[0]: "date"})
    merged = want.merge(got, on=KEYS, how="left", suffixes=("", "_got"))
    assert (merged["moved"] == merged["moved_got"]).all()
    assert np.allclose(merged["p90_s"], merged["p90_s_got"], atol=5e-4)


def test_the_episode_is_the_first_id_field():
    assert episode_field(DATASET) == "eid"
    flat = parse_schema({"schema": {"fields": [{"name": "x", "type": "int"}]}})
    assert episode_field(flat) is None

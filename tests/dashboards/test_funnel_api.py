"""/api/funnel: over the funnel the real batch job wrote for the shipped lifecycle schema,
every figure equals a pandas recomputation from the CSV; missing, half-written and flat-schema
cases answer in the envelope; /meta names and versions the funnel folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient

from dashboard import create_app
from services.outputs import BatchOutputs
from services.schema import load_schema
from tests.dashboards.fixtures import LIFECYCLE_SCHEMA, funnel_frame, get, write_spark_csv
from tests.dashboards.lifecycle_job import LifecycleRun

NAMES = load_schema(LIFECYCLE_SCHEMA).lifecycle.names


def client_over(csv_dir: Path, schema: Path = LIFECYCLE_SCHEMA) -> FlaskClient:
    return create_app({"OUT_LOCAL_CSV": str(csv_dir), "SCHEMA_CONFIG_PATH": str(schema),
                       "TESTING": True}).test_client()


@pytest.fixture
def run(lifecycle_run: LifecycleRun) -> LifecycleRun:
    return lifecycle_run


def recomputed(rows: pd.DataFrame) -> tuple[dict, dict]:
    """Per state its episodes over all days; per (from, to) moved, steps, conversion and the
    latest day with a step's times, from the CSV with pandas alone."""
    date = rows.columns[0]
    reached = rows.groupby([date, "state"])["reached"].first().groupby("state").sum()
    moves = rows[rows["next_state"].notna()]
    steps = {}
    for (origin, to), group in moves.groupby(["state", "next_state"]):
        made = group[group["steps"] > 0].sort_values(date)
        last = made.iloc[-1] if len(made) else None
        steps[(origin, to)] = {
            "moved": int(group["moved"].sum()), "steps": int(group["steps"].sum()),
            "reached": int(reached[origin]),
            "conversion": group["moved"].sum() / reached[origin],
            "timing_day": None if last is None else last[date],
            "median_s": None if last is None else last["median_s"],
            "p90_s": None if last is None else last["p90_s"]}
    return {k: int(v) for k, v in reached.items()}, steps


@pytest.mark.spark
def test_the_funnel_equals_a_pandas_recomputation_of_the_jobs_csv(run: LifecycleRun) -> None:
    got = get(client_over(run.outputs.csv_dir), "/api/funnel")
    rows = run.funnel_rows()
    reached, steps = recomputed(rows)
    assert [s["state"] for s in got["states"]] == list(NAMES)  # every state, declared order
    assert {s["state"]: s["reached"] for s in got["states"]} == reached
    orders = pd.read_csv(run.extract, usecols=["order_id", "status"])
    assert reached == orders.groupby("status")["order_id"].nunique().to_dict()
    assert {(t["from"], t["to"]) for t in got["transitions"]} == set(steps)
    for t in got["transitions"]:
        want = steps[(t["from"], t["to"])]
        assert t["conversion"] == pytest.approx(want.pop("conversion"), abs=1e-6)
        assert {k: t[k] for k in want} == pytest.approx(want)
    days = sorted(rows[rows.columns[0]].unique())
    assert (got["days"], got["first_day"], got["last_day"]) == (len(days), days[0], days[-1])
    assert got["days"] > 7  # two weeks of starts: sums over days are exercised


@pytest.mark.spark
def test_the_transitions_follow_the_declared_order(run: LifecycleRun) -> None:
    got = get(client_over(run.outputs.csv_dir), "/api/funnel")
    pairs = [(t["from"], t["to"]) for t in got["transitions"]]
    assert pairs == sorted(pairs, key=lambda p: (NAMES.index(p[0]), NAMES.index(p[1])))
    assert pairs[:2] == [("created", "paid"), ("created", "cancelled")]


def test_a_flat_schema_has_no_funnel(batch_client: FlaskClient) -> None:
    assert get(batch_client, "/api/funnel", "no_data").startswith(
        "The schema has no lifecycle")
    assert "funnel" not in get(batch_client, "/api/meta")["sources"]


def test_meta_names_the_funnel_folder(batch_dir: Path) -> None:
    sources = get(client_over(batch_dir), "/api/meta")["sources"]
    assert sources["funnel"] == str(BatchOutputs(batch_dir).funnel_dir)


def test_no_funnel_yet_then_a_half_written_one(batch_dir: Path) -> None:
    client = client_over(batch_dir)
    funnel_dir = BatchOutputs(batch_dir).funnel_dir
    assert str(funnel_dir) in get(client, "/api/funnel", "no_data")
    part = write_spark_csv(funnel_dir, funnel_frame())
    assert get(client, "/api/funnel")["transitions"][0]["conversion"] == 0.75
    part.write_text(part.read_text()[:-9])
    assert "half-written" in get(client, "/api/funnel", "error")


def test_a_new_funnel_moves_the_version_and_the_answer(batch_dir: Path) -> None:
    client = client_over(batch_dir)
    funnel_dir = BatchOutputs(batch_dir).funnel_dir
    write_spark_csv(funnel_dir, funnel_frame())
    first = get(client, "/api/meta")["version"]
    assert get(client, "/api/funnel")["last_day"] == "2025-03-03"
    for part in funnel_dir.glob("part-*"):
        part.unlink()
    write_spark_csv(funnel_dir, funnel_frame("2025-03-04"))
    assert get(client, "/api/meta")["version"] != first
    assert get(client, "/api/funnel")["last_day"] == "2025-03-04"


def test_a_funnel_of_another_layout_is_named(batch_dir: Path) -> None:
    write_spark_csv(BatchOutputs(batch_dir).funnel_dir, funnel_frame().drop(columns="moved"))
    message = get(client_over(batch_dir), "/api/funnel", "error")
    assert "lacks the column(s) moved" in message

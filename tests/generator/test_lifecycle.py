"""Lifecycle rows: each episode follows its state machine, transitions and delays match the
declared ones within stated tolerances, sessions end after the declared inactivity, and the
rows come out in time order, the same for any worker count and for parts made apart."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from services.common.paths import SCHEMAS
from services.common.stores import LocalStore
from services.generator import entity_tables, faker_pools, generate_table
from services.generator.block import BLOCK_SIZE
from services.generator.encoders import encoder_for
from services.generator.ordering import boundaries, first_needed, merged, ordered_blocks
from services.generator.parts import PartPlan, write_part
from services.schema import load_schema, parse_schema
from tests.generator.test_determinism import digests_by_workers
from tests.lifecycles import DOC, doc

N = 3 * BLOCK_SIZE + 999  # episodes: three full blocks and a short one
SEED = 5
END = pd.Timestamp(datetime(2025, 1, 1, 23, 59, 59))
MAX_GAP = pd.Timedelta(minutes=30)


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    ds = parse_schema(DOC).with_overrides(entity_count=N)
    return generate_table(ds, SEED).to_pandas()


def episodes(frame: pd.DataFrame):
    """Rows grouped by episode, each in its output order."""
    return frame.groupby("eid", sort=False)


def steps(frame: pd.DataFrame) -> pd.DataFrame:
    """Each row with the episode's next state and the gap to it (NaN/NaT at its last)."""
    out = frame.copy()
    by = out.groupby("eid", sort=False)
    out["next"] = by["state"].shift(-1)
    out["gap"] = by["t"].shift(-1) - out["t"]
    return out


def test_rows_come_out_in_time_order_inside_the_window(rows):
    times = rows["t"].to_numpy()
    assert (np.diff(times) >= np.timedelta64(0)).all()
    assert rows["t"].max() <= END and rows["t"].min() >= pd.Timestamp(2025, 1, 1)
    assert rows["eid"].nunique() == N  # every episode started, once


def test_start_times_follow_the_seasonality_profile(rows):
    starts = episodes(rows)["t"].first()
    hours = starts.dt.hour.value_counts(normalize=True).reindex(range(24), fill_value=0)
    assert hours[3] == 0  # weight 0 at 03:00, 1 elsewhere
    assert hours.drop(3).to_numpy() == pytest.approx(np.full(23, 1 / 23), abs=0.003)


def test_every_episode_follows_the_state_machine(rows):
    allowed = {("a", "b"), ("a", "c"), ("b", "a"), ("b", "d")}
    walked = steps(rows)
    moves = walked.dropna(subset=["next"])
    assert set(zip(moves["state"], moves["next"], strict=True)) <= allowed
    assert (moves["gap"] > pd.Timedelta(0)).all()  # times increase along each episode
    assert (episodes(rows)["state"].first() == "a").all()
    last = walked[walked["next"].isna()]
    cut = (last["t"] + MAX_GAP > END) | (episodes(rows).size().loc[last["eid"]].to_numpy() > 12)
    # an episode ends where it may end (terminal c, d, or a's end), else the window cut it
    assert (last["state"].isin(["a", "c", "d"]) | cut.to_numpy()).all()
    assert episodes(rows).size().max() <= 13  # the initial row and max_steps transitions
    # the entity's attribute comes with every row of its episode
    assert (episodes(rows)["tier"].nunique() == 1).all()


def test_transition_frequencies_and_delays_match_the_declared_ones(rows):
    walked = steps(rows)
    early = walked[walked["t"] < END - pd.Timedelta(hours=7)]  # no cut in reach
    leaving_a = early[early["state"] == "a"]
    shares = leaving_a["next"].fillna("end").value_counts(normalize=True)
    assert shares.to_dict() == pytest.approx({"b": 0.6, "c": 0.3, "end": 0.1}, abs=0.006)
    gaps = {pair: g["gap"].dt.total_seconds().to_numpy()
            for pair, g in early.dropna(subset=["next"]).groupby(["state", "next"])}
    # whole seconds, rounded up: a delay d minutes is ceil(60 d) seconds
    assert gaps[("a", "b")].mean() == pytest.approx(60 + 0.5, rel=0.02)  # exponential, 1/min
    assert gaps[("a", "c")].min() >= 60 and gaps[("a", "c")].max() <= 300
    assert gaps[("a", "c")].mean() == pytest.approx(180.5, rel=0.01)  # uniform 1..5 min
    # b's delays past its 2-minute timeout become a move to d at exactly 2 minutes
    assert gaps[("b", "a")].max() <= 120
    # P(delay > 2 min): lognormal(0, 1) 1 - Phi(ln 2); the empirical [0.5, 1, 4] (1 - 1/3) / 2
    past = {"a": 0.5 * math.erfc(math.log(2) / math.sqrt(2)), "d": 1 / 3}
    leaving_b = early[early["state"] == "b"]
    at_timeout = (leaving_b["gap"] == pd.Timedelta(minutes=2)) & (leaving_b["next"] == "d")
    assert at_timeout.mean() == pytest.approx(0.5 * past["a"] + 0.5 * past["d"], abs=0.006)


def test_per_state_fields_are_drawn_on_their_state_only(rows):
    on_c = rows["state"] == "c"
    assert rows.loc[on_c, "amount"].between(10, 20).all()
    assert rows.loc[~on_c, "amount"].isna().all()
    on_d = rows["state"] == "d"
    assert set(rows.loc[on_d, "reason"]) == {"x", "y"}
    assert rows.loc[~on_d, "reason"].isna().all()


def test_a_per_state_field_may_pick_an_entity_and_look_it_up():
    data = doc()
    data["entities"]["carriers"] = {"count": 3, "fields": [
        {"name": "carrier_id", "type": "id_sequence", "start": 7},
        {"name": "cname", "type": "category", "choices": ["DHL", "UPS"]}]}
    data["entities"]["users"]["lifecycle"]["fields"]["c"] += [
        {"name": "carrier", "type": "ref", "entity": "carriers"},
        {"name": "cname", "type": "lookup", "ref": "carrier", "attribute": "cname"}]
    ds = parse_schema(data)
    frame = generate_table(ds, SEED, 5000).to_pandas()
    on_c = frame[frame["state"] == "c"]
    assert set(on_c["carrier"]) == {7, 8, 9} and on_c["cname"].notna().all()
    table = entity_tables(ds, SEED)["carriers"].table.to_pandas().set_index("carrier_id")
    assert (on_c["cname"].to_numpy() == table.loc[on_c["carrier"], "cname"].to_numpy()).all()
    assert frame.loc[frame["state"] != "c", ["carrier", "cname"]].isna().all().all()


def test_sessions_end_after_the_declared_inactivity():
    ds = load_schema(SCHEMAS / "clickstream.json").with_overrides(entity_count=20_000)
    walked = steps(generate_table(ds, SEED).to_pandas().rename(columns={
        "session_id": "eid", "event_time": "t", "event": "state"}))
    moves = walked.dropna(subset=["next"])
    idle = pd.Timedelta(seconds=1800)
    ended = moves[moves["next"] == "session_end"]
    assert len(ended) > 100 and (ended["gap"] == idle).all()
    assert (moves[moves["next"] != "session_end"]["gap"] <= idle).all()
    assert (walked[walked["state"] == "session_end"]["next"].isna()).all()


def test_byte_identical_for_any_worker_count(tmp_path):
    ds = parse_schema(DOC).with_overrides(entity_count=N)
    assert len(digests_by_workers(ds, tmp_path, SEED, (1, 2, 3))) == 1


def test_each_block_writes_the_rows_of_its_time_slice():
    ds = parse_schema(DOC).with_overrides(entity_count=N)
    bounds = boundaries(ds, N)
    assert (np.diff(bounds) >= 0).all() and len(bounds) == 5
    pools, tables = faker_pools(ds, SEED), entity_tables(ds, SEED)
    for block in ordered_blocks(ds, SEED, pools, tables):
        seconds = block.columns["t"].cast("int64").to_numpy()
        assert len(seconds) and seconds.min() >= bounds[block.index]
        assert seconds.max() < bounds[block.index + 1]


def test_a_part_recomputes_its_carry_from_the_blocks_that_reach_it(tmp_path):
    # an hour: blocks of 15 minutes; most episodes loop 12 times by nearly 3 minutes, so
    # they last nearly the horizon (36 minutes) and reach two blocks on
    loop = {"a": {"end": 0.02, "transitions": [
        {"to": "a", "p": 0.97, "delay": {"distribution": "uniform", "min": 2.9, "max": 3}},
        {"to": "b", "p": 0.01, "delay": {"distribution": "uniform", "min": 0, "max": 3}}]},
        "b": {"terminal": True}}
    ds = parse_schema(doc(max_delay=3, states=loop, fields=None) | {"time_window": {
        "start": "2025-01-01T00:00:00", "end": "2025-01-01T00:59:59"}}).with_overrides(
        entity_count=N)
    assert ds.lifecycle.horizon == 36 * 60
    plan = PartPlan(ds, SEED, part_blocks=1)
    pools, tables = faker_pools(ds, SEED), entity_tables(ds, SEED)
    written = [write_part(plan, pools, tables, LocalStore(), str(tmp_path), p)
               for p in range(plan.parts)]
    single = tmp_path / "single.csv"
    from services.generator import write_dataset
    write_dataset(ds, single, seed=SEED)
    header = encoder_for(ds).header_bytes()
    parts = [(tmp_path / w.name).read_bytes() for w in written]
    assert parts[0][len(header):] and all(p.startswith(header) for p in parts)
    assert parts[0] + b"".join(p[len(header):] for p in parts[1:]) == single.read_bytes()
    assert sum(w.counted for w in written) == N


def test_the_first_block_needed_is_the_first_that_reaches():
    bounds = np.array([0, 100, 200, 300, 400, np.iinfo(np.int64).max])
    assert first_needed(bounds, 0, 3) == 2  # block 2 starts up to 300: it may reach 300
    assert first_needed(bounds, 99, 3) == 2
    assert first_needed(bounds, 100, 3) == 1  # block 1 ends by 200 + 100
    assert first_needed(bounds, 10_000, 4) == 0
    assert first_needed(bounds, 0, 0) == 0


def test_merge_writes_each_slice_in_order_and_carries_the_rest():
    import pyarrow as pa
    bounds = np.array([0, 10, 20, np.iinfo(np.int64).max])
    made = [(0, np.array([0, 5, 10, 25])), (1, np.array([10, 12, 19])), (2, np.array([20]))]
    out = list(merged(((k, pa.table({"s": s, "k": [k] * len(s)}), s) for k, s in made),
                      bounds, 0))
    assert [(k, t["s"].to_pylist(), t["k"].to_pylist()) for k, t in out] == [
        (0, [0, 5], [0, 0]), (1, [10, 10, 12, 19], [0, 1, 1, 1]), (2, [20, 25], [2, 0])]
    later = list(merged(((k, pa.table({"s": s}), s) for k, s in made), bounds, 1))
    assert [k for k, _ in later] == [1, 2]


def test_a_timeline_burst_and_outage_shape_the_episodes_starts():
    data = doc()
    data["timeline"] = {"field": "t",
                        "bursts": [{"start": "2025-01-01T12:00:00",
                                    "end": "2025-01-01T13:00:00", "factor": 5}],
                        "outages": [{"start": "2025-01-01T18:00:00",
                                     "end": "2025-01-01T18:20:00"}]}
    ds = parse_schema(data).with_overrides(entity_count=N)
    frame = generate_table(ds, SEED).to_pandas()
    assert (np.diff(frame["t"].to_numpy()) >= np.timedelta64(0)).all()
    starts = episodes(frame)["t"].first()
    per_hour = starts.dt.hour.value_counts()
    assert per_hour[12] / per_hour.drop([12, 18]).mean() == pytest.approx(5, rel=0.05)
    in_outage = (starts >= "2025-01-01 18:00:00") & (starts < "2025-01-01 18:20:00")
    assert not in_outage.any()

"""Lifecycles and trends learned from extracts: the shipped lifecycle schemas come back close
enough that data generated from the inferred file passes the temporal distances (and the
columns' checks, the owner entity's values and attributes included); flat
extracts keep exactly the schema they had before lifecycles were learned."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from services.common.paths import REPO_ROOT, SCHEMAS
from services.infer import infer
from services.infer.compare import compare
from services.infer.episodes import Roles
from services.infer.infer import infer_schema
from services.infer.lifecycle import learn
from services.infer.samples import Sample, read_samples
from services.infer.trend import fit_trend
from services.schema import parse_schema
from tests.infer.extracts import generate
from tests.infer.test_temporal import columns_of, lifecycle_columns

STARTS = 8000


def cycle_of(doc: dict) -> dict:
    (cycle,) = [e["lifecycle"] for e in doc.get("entities", {}).values() if "lifecycle" in e]
    return cycle


def round_trip(tmp_path: Path, schema: str) -> tuple[dict, dict]:
    """The inferred schema and the --compare report of data generated from it."""
    real = generate(SCHEMAS / schema, tmp_path / "real.csv", STARTS)
    doc = infer_schema(read_samples([real]))
    parse_schema(doc)  # loads
    synth = generate(doc, tmp_path / "synth.csv", STARTS, seed=5)
    return doc, compare(read_samples([real]), read_samples([synth]))


def test_retail_lifecycle_round_trip(tmp_path):
    doc, full = round_trip(tmp_path, "retail_order_lifecycle.json")
    report = full["temporal"]
    assert report["ok"], report["checks"]
    # every column within its target; return_reason's ~170 rows (returned orders) only
    # because its TV target allows for what chance gives samples that small
    failing = {c["name"]: c["problems"] for c in full["columns"] if not c["ok"]}
    assert not failing, failing
    reason = next(c for c in full["columns"] if c["name"] == "return_reason")
    assert reason["tv"] > 0.02 and reason["tv_target"] > reason["tv"]
    # the customers (about 2.2 orders each: too few repeats for a flat entity) are the
    # owner's entity of the values seen, customer_segment its lookup
    entity = doc["entities"]["customer_id"]
    assert entity["key"] == "customer_id_id" and entity["count"] > 3000
    assert {f["name"]: f["type"] for f in doc["schema"]["fields"]
            if f["name"].startswith("customer")} == {
        "customer_id_id": "ref", "customer_id": "lookup", "customer_segment": "lookup"}
    cycle = cycle_of(doc)
    assert (cycle["state_field"], cycle["initial"], cycle["delay_unit"]) == \
        ("status", "created", "hours")
    states = cycle["states"]
    assert states["cancelled"] == {"terminal": True} == states["returned"]
    p = {t["to"]: t["p"] for t in states["created"]["transitions"]}
    assert p["paid"] == pytest.approx(0.85, abs=0.02)
    assert p["cancelled"] == pytest.approx(0.15, abs=0.02)
    # delivered ends with p 0.92 when the window's cut is not counted as an end
    assert states["delivered"]["end"] == pytest.approx(0.92, abs=0.03)
    assert {s: [f["name"] for f in fs] for s, fs in cycle["fields"].items()} == {
        "paid": ["amount", "payment_method"], "shipped": ["carrier"],
        "returned": ["return_reason"]}
    names = [f["name"] for f in doc["schema"]["fields"]]
    assert "status" not in names and "amount" not in names
    assert doc["entity_count"] == STARTS  # episodes, not rows


def test_clickstream_sessions_round_trip(tmp_path):
    doc, full = round_trip(tmp_path, "clickstream.json")
    report = full["temporal"]
    assert report["ok"], report["checks"]
    cycle = cycle_of(doc)
    view = cycle["states"]["page_view"]
    assert view["timeout"] == {"after": 30, "to": "session_end"}  # 1800 s, in minutes
    assert cycle["delay_unit"] == "minutes"
    assert cycle["states"]["session_end"] == {"terminal": True}
    assert {t["to"] for t in view["transitions"]} == {"page_view", "add_to_cart"}
    assert cycle["fields"]["page_view"][0]["name"] == "page"
    refs = [f for f in doc["schema"]["fields"] if f["type"] == "ref"]
    assert [f["name"] for f in refs] == ["visitor_id"]  # repeats across sessions


def without_new_rules(monkeypatch):
    monkeypatch.setattr(infer, "find_roles", lambda columns, rows: None)
    monkeypatch.setattr(infer, "fit_trend", lambda seconds: None)


@pytest.mark.parametrize("schema", ["card_transactions.json", "retail_orders.json"])
def test_flat_extracts_keep_their_schema(tmp_path, monkeypatch, schema):
    sample = read_samples([generate(SCHEMAS / schema, tmp_path / "flat.csv", 50_000)])
    now = infer_schema(sample)
    with monkeypatch.context() as patched:
        without_new_rules(patched)
        before = infer_schema(sample)
    assert now == before
    assert "timeline" not in now and "lifecycle" not in str(now)


def sample_of(data: dict) -> Sample:
    return Sample(columns_of(data), len(data["time"]), (Path("x.csv"),))


def test_a_status_with_ids_that_never_repeat_is_no_lifecycle():
    doc = infer_schema(sample_of(lifecycle_columns(3000, flat=True)))
    assert "lifecycle" not in str(doc)
    assert "status" in [f["name"] for f in doc["schema"]["fields"]]


def test_the_entity_is_a_repeating_column_or_an_added_owner(caplog):
    doc = infer_schema(sample_of(lifecycle_columns(3000)))
    assert set(doc["entities"]) == {"customer"}
    assert cycle_of(doc)["initial"] == "created"
    data = lifecycle_columns(3000)
    del data["customer"]
    with caplog.at_level(logging.WARNING):
        doc = infer_schema(sample_of(data))
    assert set(doc["entities"]) == {"owner"}
    assert "added the constant column owner" in caplog.text
    parse_schema(doc)


def test_the_owner_entity_keeps_its_values_and_attributes():
    """A customer seen on 1.5 orders on average (too few for find_entities): its entity
    holds the values seen, most frequent first, and the tier it decides is a lookup."""
    data = lifecycle_columns(3000)
    rng = np.random.default_rng(7)
    starts = np.array([t == "created" for t in data["status"]])
    customer = np.repeat(rng.integers(5000, 7000, int(starts.sum())), np.diff(
        np.append(np.flatnonzero(starts), len(starts))))
    data["customer"] = customer.astype(str).tolist()
    data["tier"] = np.array(["gold", "silver", "bronze"])[customer % 3].tolist()
    doc = infer_schema(sample_of(data))
    parse_schema(doc)
    entity = doc["entities"]["customer"]
    assert "lifecycle" in entity and entity["key"] == "customer_id"
    by_name = {f["name"]: f for f in entity["fields"]}
    seen = set(customer[starts].tolist())
    assert set(by_name["customer"]["map"].values()) == seen  # not a sequence from the min
    assert entity["count"] == len(seen)
    assert all(by_name["tier"]["map"][str(c)] == ("gold", "silver", "bronze")[c % 3]
               for c in seen)
    assert {f["name"]: f["type"] for f in doc["schema"]["fields"]
            if f["name"] in ("customer_id", "customer", "tier")} == {
        "customer_id": "ref", "customer": "lookup", "tier": "lookup"}


def test_a_column_that_changes_along_an_id_is_named(caplog):
    data = lifecycle_columns(3000)
    data["store"] = [f"s{i % 7}" for i in range(len(data["time"]))]  # row by row
    with caplog.at_level(logging.WARNING):
        doc = infer_schema(sample_of(data))
    assert "store: differs between rows of one order_id (" in caplog.text
    assert "drawn once per episode, from its first row" in caplog.text
    assert "customer:" not in caplog.text  # the same on every row of an order
    assert "store" in [f["name"] for f in doc["schema"]["fields"]]


def test_a_refused_lifecycle_falls_back_to_flat_rows(caplog):
    data = lifecycle_columns(3000)
    data["status"] = [s.replace("paid", "paid in full") for s in data["status"]]
    with caplog.at_level(logging.WARNING):
        doc = infer_schema(sample_of(data))
    assert "lifecycle" not in str(doc)
    assert "the lifecycle learned is refused" in caplog.text
    assert "inferred as flat rows" in caplog.text


def test_delays_by_hand():
    """Delays of 10 s (created -> paid) and 30 s (paid -> shipped): each table is the
    seconds less half a second (the generator rounds a draw up), in seconds (median 10)."""
    rows = [(f"{i:03d}", f"2025-01-06T0{i % 9}:00:{s:02d}", state) for i in range(60)
            for s, state in ((0, "created"), (10, "paid"), (40, "shipped"))]
    data = {"order_id": [r[0] for r in rows], "time": [r[1] for r in rows],
            "status": [r[2] for r in rows]}
    cycle = learn(sample_of(data), Roles("order_id", "status", "time")).lifecycle
    assert cycle["delay_unit"] == "seconds" and cycle["max_steps"] == 2
    (paid,) = cycle["states"]["created"]["transitions"]
    assert (paid["to"], paid["p"]) == ("paid", 1)
    assert set(paid["delay"]["quantiles"]) == {9.5}
    (shipped,) = cycle["states"]["paid"]["transitions"]
    assert set(shipped["delay"]["quantiles"]) == {29.5}
    assert cycle["states"]["shipped"] == {"terminal": True}
    assert cycle["max_delay"] == 31  # the longest delay seen, and one unit


def day_seconds(counts: list[int]) -> np.ndarray:
    start = np.datetime64("2025-01-06T00:00:00").astype(np.int64)
    return np.concatenate([start + d * 86400 + np.arange(c) % 86400
                           for d, c in enumerate(counts)])


def test_trend_by_hand():
    # the first and last day are left out: doubling from day 1 to day 6 is 100% a day
    percent, t = fit_trend(day_seconds([5, 100, 200, 400, 800, 1600, 3200, 5]))
    assert percent == 100 and t > 1e6  # an exact fit
    assert fit_trend(day_seconds([5, 100, 100, 100, 100, 100, 100, 5])) is None
    assert fit_trend(day_seconds([5, 100, 200, 400, 800, 5])) is None  # 4 whole days
    # a weekday pattern is no trend
    assert fit_trend(day_seconds([90] + [100, 100, 100, 100, 100, 160, 160] * 2 + [90])) \
        is None


def test_trend_and_weekdays_come_back_apart(tmp_path):
    """Three weeks growing 5% a day with busy weekends: the trend is learned, and the
    weekday weights are fitted on the rows thinned by it, so they are the declared ones
    (fitted on all rows, the third week's days would weigh ~2x the first's)."""
    doc = json.loads((REPO_ROOT / "benchmarks" / "schemas" / "card_timeline.json").read_text())
    doc["time_window"] = {"start": "2025-01-01T00:00:00", "end": "2025-01-21T23:59:59"}
    doc["timeline"] = {"field": "event_time",
                       "trends": [{"from": "2025-01-01", "percent_per_day": 5}]}
    inferred = infer_schema(read_samples([generate(doc, tmp_path / "t.csv", 150_000)]))
    (trend,) = inferred["timeline"]["trends"]
    assert trend["percent_per_day"] == pytest.approx(5, abs=0.5)
    weeks = inferred["schema"]["fields"][1]["profile"]["day_of_week"]
    declared = {**dict.fromkeys("0123", 1.0), "4": 1.2, "5": 1.4, "6": 1.1}
    got = np.array([weeks[d] for d in "0123456"]) / np.mean(list(weeks.values()))
    want = np.array([declared[d] for d in "0123456"]) / np.mean(list(declared.values()))
    assert np.max(np.abs(got - want)) < 0.06


def test_trend_learned_from_a_growing_extract():
    rng = np.random.default_rng(4)
    counts = (2000 * 1.06 ** np.arange(14)).astype(int)
    seconds = day_seconds(list(counts))
    seconds = seconds - seconds % 86400 + rng.integers(0, 86400, len(seconds))
    text = np.datetime_as_string(seconds.astype("datetime64[s]")).tolist()
    value = rng.normal(10, 1, len(text)).round(2).astype(str).tolist()
    sample = Sample(columns_of({"time": text, "value": value}), len(text), (Path("x.csv"),))
    doc = infer_schema(sample)
    (section,) = [doc["timeline"]]
    assert section["field"] == "time"
    assert section["trends"][0]["from"] == doc["time_window"]["start"]
    assert section["trends"][0]["percent_per_day"] == pytest.approx(6, abs=1)
    parse_schema(doc)

"""Per-level numbers, entities and the whole inference on extracts with planted relations
(services/infer/levels.py, entities.py, joint.py): the JSON written is checked directly."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from services.infer import levels
from services.infer.entities import ENTITY_MIN_VALUES, fit_popularity
from services.infer.infer import infer_schema
from services.infer.levels import (
    ETA2_MIN,
    LEVEL_MIN_ROWS,
    Labels,
    best_grouping,
    eta_squared,
    grouping,
    shifted,
)
from services.infer.ranks import rank_shares
from services.infer.samples import read_samples
from tests.infer.extracts import fields


def write_csv(path, columns: dict) -> object:
    pacsv.write_csv(pa.table({k: pa.array(v) for k, v in columns.items()}), path)
    return path


def test_a_level_has_its_entry_from_one_percent_of_the_rows():
    rows = 10_000
    codes = np.zeros(rows, dtype=np.int64)
    codes[:100] = 1  # exactly 1%: kept
    codes[100:199] = 2  # 99 rows: under 1%, to _default
    codes[199:210] = -1  # empty: _default
    groups, keys = grouping(Labels("c", codes, ["a", "b", "c"]), rows)
    assert keys == ["a", "b"]
    assert np.all(groups[:100] == 1) and np.all(groups[100:210] == 2)
    small = np.zeros(1000, dtype=np.int64)
    small[:LEVEL_MIN_ROWS - 1] = 1  # 1.9% of the rows but under the minimum count
    assert grouping(Labels("c", small, ["a", "b"]), 1000)[1] == ["a"]


def test_eta_squared_is_the_between_share_of_the_variance():
    shares = np.array([0.1, 0.3, 0.6, 1.0])
    codes = np.array([0, 0, 1, 1])
    # means 0.2 and 0.8 around 0.5: between 4 * 0.09 = 0.36, total 0.16+0.04+0.01+0.25
    assert eta_squared(shares, codes, 2) == pytest.approx(0.36 / 0.46)


def skewed_groups(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two levels of equal mean (exactly) but different ranks: a skewed sample and its
    mirror image."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 2, n)
    values = rng.lognormal(0, 1.5, n)
    values = np.where(codes == 0, values, -values)
    for g in (0, 1):
        values[codes == g] -= values[codes == g].mean()
    return values, codes


def test_eta_squared_reaches_the_threshold_or_not(monkeypatch):
    values, codes = skewed_groups(20_000)
    shares, _ = rank_shares(values)
    eta2 = eta_squared(shares, codes, 2)
    labels = [Labels("c", codes, ["x", "y"])]
    assert eta2 > 0.1 and not shifted(values, codes, 3)
    monkeypatch.setattr(levels, "ETA2_MIN", eta2)
    assert best_grouping(values, shares, labels, len(codes)).eta2 == eta2
    monkeypatch.setattr(levels, "ETA2_MIN", eta2 + 1e-9)
    assert best_grouping(values, shares, labels, len(codes)) is None


def test_a_level_whose_mean_stands_out_is_kept_even_with_little_eta():
    rng = np.random.default_rng(2)
    codes = (rng.random(50_000) < 0.05).astype(np.int64)  # a level of 5% of the rows
    values = rng.lognormal(3, 1, 50_000) * np.where(codes == 1, 1.5, 1.0)
    shares, _ = rank_shares(values)
    assert eta_squared(shares, codes, 2) < ETA2_MIN
    found = best_grouping(values, shares, [Labels("c", codes, ["x", "y"])], 50_000)
    assert found is not None and found.keys == ["x", "y"]
    same = rng.lognormal(3, 1, 50_000)  # the same distribution in both levels
    assert best_grouping(same, rank_shares(same)[0], [Labels("c", codes, ["x", "y"])],
                         50_000) is None


def test_the_category_that_explains_most_is_chosen():
    rng = np.random.default_rng(1)
    weak, strong = rng.integers(0, 3, 20_000), rng.integers(0, 4, 20_000)
    values = rng.normal(size=20_000) + 0.5 * weak + 1.5 * strong
    shares, _ = rank_shares(values)
    found = best_grouping(values, shares, [Labels("weak", weak, list("abc")),
                                           Labels("strong", strong, list("abcd"))], 20_000)
    assert found.source == "strong"


def test_zipf_and_uniform_popularity_are_recovered():
    ranks = np.arange(1, 501)
    counts = np.round(1e6 * ranks ** -1.2 / np.sum(ranks ** -1.2))
    popularity, tv = fit_popularity(counts)
    assert popularity == {"kind": "zipf", "s": pytest.approx(1.2, abs=0.02)} and tv < 0.01
    assert fit_popularity(np.full(300, 12))[0] == {"kind": "uniform"}


def planes(rows: int, tails: int, seed: int = 0) -> dict:
    """Flights: a tail number (of zipf popularity) always flies for one airline and has one
    seat count; distance and air time move together; the delay depends on the airline."""
    rng = np.random.default_rng(seed)
    tail_names = np.array([f"N{100 + i}{'ABCDEFGH'[i % 8]}" for i in range(tails)])
    tail_airline = rng.choice(["AA", "DL", "UA", "WN"], size=tails)
    tail_seats = rng.choice([120, 150, 180, 210], size=tails)
    weights = np.arange(1, tails + 1, dtype=float) ** -0.8
    pick = rng.choice(tails, size=rows, p=weights / weights.sum())
    distance = rng.lognormal(6.5, 0.6, rows).round()
    air_time = (distance / 8 + rng.normal(0, 10, rows)).round(1)
    airline = tail_airline[pick]
    delay = rng.exponential(10, rows) + np.where(airline == "WN", 40, 0)
    return {"origin": rng.choice(["ATL", "ORD", "DFW"], rows).tolist(),
            "tail_num": tail_names[pick].tolist(), "distance": distance.astype(int).tolist(),
            "air_time": air_time.tolist(), "airline": airline.tolist(),
            "seats": tail_seats[pick].tolist(), "delay": delay.round(1).tolist()}


@pytest.fixture(scope="module")
def flights(tmp_path_factory):
    path = write_csv(tmp_path_factory.mktemp("flights") / "flights.csv", planes(30_000, 400))
    return infer_schema(read_samples([path]))


def test_a_repeating_value_with_fixed_attributes_is_an_entity(flights):
    entity = flights["entities"]["tail_num"]
    assert entity["count"] == 400 and entity["key"] == "tail_num_id"
    got = fields(flights)
    assert list(got)[:5] == ["origin", "tail_num_id", "tail_num", "airline", "seats"]
    assert got["tail_num_id"]["type"] == "ref" and got["tail_num_id"]["entity"] == "tail_num"
    assert got["tail_num_id"]["popularity"]["kind"] == "zipf"
    assert got["tail_num_id"]["popularity"]["s"] == pytest.approx(0.8, abs=0.1)
    for name in ("tail_num", "airline", "seats"):
        assert got[name] == {"name": name, "type": "lookup", "ref": "tail_num_id",
                             "attribute": name, "description": got[name]["description"]}
    by_name = {f["name"]: f for f in entity["fields"]}
    tails = by_name["tail_num"]["map"]
    assert len(tails) == 400 and set(by_name["airline"]["map"]) == set(tails.values())
    assert {type(v) for v in by_name["seats"]["map"].values()} == {int}
    real = planes(30_000, 400)
    airline_of = dict(zip(real["tail_num"], real["airline"], strict=True))
    assert by_name["airline"]["map"] == {t: airline_of[t] for t in tails.values()}
    # the most frequent tail number is entity row 1, which a Zipf popularity picks most
    most = max(set(real["tail_num"]), key=real["tail_num"].count)
    assert tails["1"] == most


def test_numbers_that_move_together_are_a_block(flights):
    blocks = flights["schema"]["correlations"]
    assert [b["fields"] for b in blocks] == [["distance", "air_time"]]
    real = planes(30_000, 400)
    import pandas as pd
    rho = pd.DataFrame(real)[["distance", "air_time"]].corr("spearman").iloc[0, 1]
    assert blocks[0]["rank_correlation"][0][1] == pytest.approx(rho, abs=0.002)


def test_a_number_a_category_explains_is_drawn_per_level(flights):
    delay = fields(flights)["delay"]
    assert delay["conditional_on"] == "airline"
    table = delay["conditional_table"]
    assert set(table) == {"AA", "DL", "UA", "WN", "_default"}
    assert "distribution" not in delay and delay["decimals"] == 1
    mean = {k: np.mean(v["quantiles"]) if v["distribution"] == "empirical" else
            1 / v["lambda"] if v["distribution"] == "exponential" else v.get("mean")
            for k, v in table.items()}
    assert mean["WN"] == pytest.approx(50, abs=2) and mean["AA"] == pytest.approx(10, abs=1)


def test_no_entity_under_the_minimum_of_values(tmp_path):
    few = planes(20_000, ENTITY_MIN_VALUES - 1, seed=3)
    doc = infer_schema(read_samples([write_csv(tmp_path / "few.csv", few)]))
    assert "entities" not in doc
    enough = planes(20_000, ENTITY_MIN_VALUES, seed=3)
    doc = infer_schema(read_samples([write_csv(tmp_path / "enough.csv", enough)]))
    assert doc["entities"]["tail_num"]["count"] == ENTITY_MIN_VALUES


def test_an_attribute_that_changes_once_is_not_one(tmp_path):
    data = planes(20_000, 200, seed=4)
    first = data["tail_num"][0]
    other = next(i for i, t in enumerate(data["tail_num"]) if t == first and i > 0)
    data["seats"][other] = 999
    doc = infer_schema(read_samples([write_csv(tmp_path / "f.csv", data)]))
    assert [f["name"] for f in doc["entities"]["tail_num"]["fields"]] == \
        ["tail_num_id", "tail_num", "airline"]
    assert fields(doc)["seats"]["type"] != "lookup"


def test_a_number_before_its_category_moves_after_it(tmp_path):
    rng = np.random.default_rng(5)
    kind = rng.choice(["small", "large"], 5000)
    size = rng.normal(0, 1, 5000) + np.where(kind == "large", 3, 0)
    doc = infer_schema(read_samples([write_csv(tmp_path / "m.csv", {
        "size": size.round(2).tolist(), "kind": kind.tolist()})]))
    assert list(fields(doc)) == ["kind", "size"]
    assert fields(doc)["size"]["conditional_on"] == "kind"
    assert "placed after kind" in fields(doc)["size"]["description"]


def test_an_evenly_spread_time_joins_a_block_and_a_seasonal_one_does_not(tmp_path):
    rng = np.random.default_rng(6)
    seconds = np.sort(rng.integers(1_735_689_600, 1_735_689_600 + 90 * 86_400, 20_000))
    growth = (seconds - seconds[0]) / 86_400 + rng.normal(0, 10, len(seconds))
    stamps = [np.datetime_as_string(np.datetime64(int(s), "s")) for s in seconds]
    office = seconds - seconds % 86_400 + 9 * 3600 + rng.integers(0, 8 * 3600, len(seconds))
    office_stamps = [np.datetime_as_string(np.datetime64(int(s), "s")) for s in office]
    doc = infer_schema(read_samples([write_csv(tmp_path / "t.csv", {
        "at": stamps, "office_at": office_stamps, "sales": growth.round(2).tolist()})]))
    assert fields(doc)["at"].get("mode", "uniform") == "uniform"
    assert fields(doc)["office_at"]["mode"] == "seasonality"
    blocks = doc["schema"]["correlations"]
    assert [b["fields"] for b in blocks] == [["at", "sales"]]
    assert blocks[0]["rank_correlation"][0][1] > 0.9


def test_an_evenly_spaced_id_of_the_value_is_the_entity_key_itself(tmp_path):
    data = planes(20_000, 150, seed=7)
    names = sorted(set(data["tail_num"]))
    data = {"tail_id": [100 + 10 * names.index(t) for t in data["tail_num"]], **data}
    doc = infer_schema(read_samples([write_csv(tmp_path / "ids.csv", data)]))
    entity = doc["entities"]["tail_id"]
    assert entity["fields"][0] == {"name": "tail_id", "type": "id_sequence", "start": 100,
                                   "step": 10}
    assert entity["fields"][1]["map"]["110"] == names[1]
    got = fields(doc)
    assert list(got) == ["tail_id", "tail_num", "airline", "seats", "origin", "distance",
                         "air_time", "delay"]
    assert got["tail_id"]["type"] == "ref" and got["tail_num"]["type"] == "lookup"
    # one id off the even spacing: the entity has a key of its own, the id is looked up
    data["tail_id"] = [105 if i == 100 else i for i in data["tail_id"]]
    doc = infer_schema(read_samples([write_csv(tmp_path / "ids2.csv", data)]))
    assert doc["entities"]["tail_id"]["key"] == "tail_id_id"
    assert fields(doc)["tail_id"]["type"] == "lookup"

"""Inference from extracts of small purpose-made schemas and hand-made files: each detector
gets back what made the data, within stated tolerances."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from services.infer.compare import compare
from services.infer.samples import read_samples
from tests.infer.extracts import fields, generate, infer, shares

ROWS = 100_000
NULL_TOL = 0.005
WEIGHT_TOL = 0.01
PARAM_TOL = 0.02  # relative, on fitted parameters

MIXED = {
    "seed": 1,
    "time_window": {"start": "2025-03-01T00:00:00", "end": "2025-03-20T23:59:59"},
    "schema": {"fields": [
        {"name": "id", "type": "id_sequence", "start": 10, "step": 5},
        {"name": "sent_ms", "type": "datetime", "format": "epoch_ms"},
        {"name": "local", "type": "datetime", "format": "%d/%m/%Y %H:%M", "null_prob": 0.05},
        {"name": "level", "type": "category", "null_prob": 0.1,
         "choices": [{"value": "low", "weight": 6}, {"value": "mid", "weight": 3},
                     {"value": "high", "weight": 1}]},
        {"name": "action", "type": "category", "conditional_on": "level", "conditional_table": {
            "low": [{"value": "log", "weight": 9}, {"value": "page", "weight": 1}],
            "high": [{"value": "page", "weight": 8}, {"value": "call", "weight": 2}],
            "_default": ["log", "page", "call"]}},
        {"name": "count", "type": "int", "min": 0, "max": 1000},
        {"name": "wait", "type": "float", "distribution": "exponential", "lambda": 0.5,
         "decimals": 3},
        {"name": "temp", "type": "float", "distribution": "normal", "mean": 20, "stddev": 5,
         "decimals": 1, "null_prob": 0.2},
        {"name": "ratio", "type": "float", "distribution": "uniform", "min": -1, "max": 1},
        {"name": "code", "type": "string", "pattern": "{A-Z}{A-Z}-{000-999}"},
    ]},
}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    out = generate(MIXED, tmp_path_factory.mktemp("mixed") / "mixed.csv.gz", ROWS)
    return out, infer(out)


def test_each_detector_gets_its_field_back(mixed):
    _, doc = mixed
    got = fields(doc)
    assert got["id"] == {"name": "id", "type": "id_sequence", "start": 10, "step": 5}
    assert got["sent_ms"]["format"] == "epoch_ms" and "mode" not in got["sent_ms"]
    assert got["local"]["format"] == "%d/%m/%Y %H:%M"
    assert got["local"]["null_prob"] == pytest.approx(0.05, abs=NULL_TOL)
    assert doc["time_window"] == {"start": "2025-03-01T00:00:00", "end": "2025-03-20T23:59:59"}
    assert got["level"]["null_prob"] == pytest.approx(0.1, abs=NULL_TOL)
    assert shares(got["level"]["choices"]) == pytest.approx(
        {"low": 0.6, "mid": 0.3, "high": 0.1}, abs=WEIGHT_TOL)
    action = got["action"]
    assert action["conditional_on"] == "level"
    assert shares(action["conditional_table"]["low"]) == pytest.approx(
        {"log": 0.9, "page": 0.1}, abs=WEIGHT_TOL)
    assert shares(action["conditional_table"]["mid"]) == pytest.approx(
        {"log": 1 / 3, "page": 1 / 3, "call": 1 / 3}, abs=WEIGHT_TOL)
    assert "_default" in action["conditional_table"]  # level can be empty
    assert (got["count"]["type"], got["count"]["min"], got["count"]["max"]) == ("int", 0, 1000)
    assert "distribution" not in got["count"]
    wait = got["wait"]
    assert (wait["distribution"], wait["decimals"]) == ("exponential", 3)
    assert wait["lambda"] == pytest.approx(0.5, rel=PARAM_TOL)
    temp = got["temp"]
    assert (temp["distribution"], temp["decimals"]) == ("normal", 1)
    assert (temp["mean"], temp["stddev"]) == pytest.approx((20, 5), rel=PARAM_TOL)
    assert temp["null_prob"] == pytest.approx(0.2, abs=NULL_TOL)
    ratio = got["ratio"]
    assert ratio["distribution"] == "uniform"
    assert (ratio["min"], ratio["max"]) == pytest.approx((-1, 1), abs=0.001)
    assert got["code"]["pattern"] == "{A-Z}{A-Z}-{000-999}"
    assert doc["output"] == {"format": "csv"}


def test_mixed_round_trip_meets_the_targets(mixed, tmp_path):
    real, doc = mixed
    synthetic = generate(doc, tmp_path / "synthetic.jsonl", ROWS, seed=8)
    report = compare(read_samples([real]), read_samples([synthetic]))
    assert report["summary"]["ok"], [c for c in report["columns"] if not c["ok"]]


def write_csv(path, columns: dict) -> None:
    pacsv.write_csv(pa.table(columns), path)


def test_no_family_fits_gives_an_empirical_table(tmp_path):
    rng = np.random.default_rng(4)
    bimodal = np.concatenate([rng.normal(10, 1, 30_000), rng.normal(40, 3, 20_000)])
    delays = rng.geometric(0.02, 50_000) - 5  # whole numbers, far from uniform
    real = tmp_path / "real.csv"
    write_csv(real, {"price": np.round(rng.permutation(bimodal), 2), "delay": delays})
    got = fields(infer(real))
    price, delay = got["price"], got["delay"]
    assert (price["type"], price["distribution"], price["decimals"]) == ("float", "empirical", 2)
    assert len(price["quantiles"]) == 101
    assert price["quantiles"] == sorted(price["quantiles"])
    assert price["quantiles"][0] == pytest.approx(bimodal.min(), abs=0.01)
    assert price["quantiles"][50] == pytest.approx(np.median(bimodal), abs=0.1)
    assert (delay["type"], delay["distribution"]) == ("int", "empirical")
    assert all(isinstance(q, int) for q in delay["quantiles"])
    synthetic = generate(infer(real), tmp_path / "synthetic.csv", 50_000, seed=2)
    report = compare(read_samples([real]), read_samples([synthetic]))
    assert [c["ks"] < 0.02 for c in report["columns"]] == [True, True]


@pytest.mark.parametrize(("true", "false"), [("yes", "no"), ("Y", "N"), ("1", "0"),
                                             ("TRUE", "FALSE")])
def test_bool_spellings(tmp_path, true, false):
    flags = np.where(np.random.default_rng(1).random(2000) < 0.25, true, false)
    write_csv(tmp_path / "b.csv", {"flag": flags})
    flag = fields(infer(tmp_path / "b.csv"))["flag"]
    assert flag["type"] == "bool"
    assert flag["p_true"] == pytest.approx(np.mean(flags == true), abs=1e-4)


def test_zoned_iso_times_are_read_as_utc(tmp_path):
    stamps = ["2025-05-01T10:00:00+02:00", "2025-05-01T23:30:00Z", "2025-05-02T01:00:00-01:00"]
    write_csv(tmp_path / "z.csv", {"at": stamps * 10})
    doc = infer(tmp_path / "z.csv")
    assert fields(doc)["at"]["format"] == "%Y-%m-%dT%H:%M:%SZ"
    assert doc["time_window"] == {"start": "2025-05-01T08:00:00", "end": "2025-05-02T02:59:59"}


def test_text_columns(tmp_path):
    rng = np.random.default_rng(2)
    n = 5000
    emails = [f"user{i}@example.org" for i in rng.integers(0, 10**6, n)]
    words = ["alpha", "beta", "gamma"] + [f"rare{i}" for i in range(200)]
    common = rng.choice(words, n, p=[0.3, 0.25, 0.2] + [0.25 / 200] * 200)
    ids = [f"{v:x}-{w:x}" for v, w in rng.integers(1, 10**9, (n, 2))]
    write_csv(tmp_path / "t.csv", {"email": emails, "word": common, "odd": ids})
    got = fields(infer(tmp_path / "t.csv"))
    assert got["email"] == {"name": "email", "type": "faker", "provider": "email",
                            "description": "values shaped like Faker's email"}
    word = shares(got["word"]["choices"])  # values that repeat: a category of them all...
    seen = Counter(common.tolist())
    once = [v for v, c in seen.items() if c == 1]  # ...but those seen once, which are OTHER
    assert set(word) == set(seen) - set(once) | ({"(other)"} if once else set())
    assert word["alpha"] == pytest.approx(seen["alpha"] / n, abs=1e-4)
    assert got["odd"]["type"] == "faker" and got["odd"]["provider"] == "pystr"


def test_sample_rows_and_several_files(tmp_path):
    first = generate(MIXED, tmp_path / "a.csv", 3000, seed=1)
    second = generate(MIXED, tmp_path / "b.csv", 3000, seed=2)
    assert infer(first, second)["entity_count"] == 6000
    assert infer(first, second, limit=4000)["entity_count"] == 4000


def test_an_always_empty_column_stays_empty(tmp_path):
    write_csv(tmp_path / "e.csv", {"id": [f"k{i % 7}" for i in range(100)],
                                   "nothing": pa.nulls(100, pa.string())})
    doc = infer(tmp_path / "e.csv")
    assert fields(doc)["nothing"]["null_prob"] == 1.0
    assert doc["analysis"]["dimensions"] == ["id"]


@pytest.mark.parametrize("as_object", [True, False])
def test_points_and_codes_with_leading_zeros(tmp_path, as_object):
    spec = {"seed": 1, "schema": {"fields": [
        {"name": "where", "type": "geo", "bbox": [40, -5, 50, 10], "precision": 4,
         "as_object": as_object},
        {"name": "zip", "type": "string", "pattern": "{00000-99999}"}]}}
    real = generate(spec, tmp_path / "points.jsonl", 5000)
    got = fields(infer(real))
    assert got["where"]["type"] == "geo" and got["where"]["bbox"] == [40, -5, 50, 10]
    assert got["where"]["precision"] == 4 and got["where"].get("as_object", True) == as_object
    assert got["zip"]["pattern"] == "{00000-99999}"

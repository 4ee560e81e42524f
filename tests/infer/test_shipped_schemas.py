"""Inference from extracts of the shipped schemas: the parameters come back within stated
tolerances, and data generated from the inferred file meets the fidelity targets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.common.paths import SCHEMAS
from services.infer.compare import compare
from services.infer.samples import read_samples
from tests.infer.extracts import fields, generate, infer, shares

ROWS = 200_000
WEIGHT_TOL = 0.01  # absolute, on shares; sampling noise at 200k rows is ~0.001
PROFILE_TOL = 0.06  # absolute, on weights scaled to mean 1


def declared(path) -> dict:
    return {f["name"]: f for f in json.loads(path.read_text())["schema"]["fields"]}


def scaled(weights: dict, size: int) -> np.ndarray:
    default = weights.get("_default", 1.0)
    values = np.array([weights.get(str(i), default) for i in range(size)], dtype=float)
    return values / values.mean()


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    out = generate(SCHEMAS / "card_transactions.json",
                   tmp_path_factory.mktemp("card") / "card.csv", ROWS)
    return out, infer(out)


def test_card_parameters_come_back(card):
    _, doc = card
    got, want = fields(doc), declared(SCHEMAS / "card_transactions.json")
    assert list(got) == list(want)  # input order
    assert got["event_id"]["type"] == "uuid"
    assert doc["time_window"] == {"start": "2025-01-01T00:00:00", "end": "2025-01-07T23:59:59"}
    when = got["event_time"]
    assert when["format"] == "iso" and when["mode"] == "seasonality"
    for key, size in (("hour_of_day", 24), ("day_of_week", 7)):
        expected = want["event_time"]["profile"][key]
        error = scaled(when["profile"][key], size) - scaled(expected, size)
        assert np.max(np.abs(error)) < PROFILE_TOL, key
    # A card's payments are mostly in its home city (57.5 of 62.5), the rest spread evenly.
    city = got["city"]
    assert city["conditional_on"] == "card_home_city"
    for home, choices in city["conditional_table"].items():
        expected = {c: (57.5 if c == home else 1) / 62.5 for c in shares(choices)}
        assert shares(choices) == pytest.approx(expected, abs=WEIGHT_TOL), home
    assert shares(got["channel"]["choices"]) == pytest.approx(
        shares(want["channel"]["choices"]), abs=WEIGHT_TOL)
    assert got["card_id"]["type"] == "int"  # the entity's keys, as numbers
    assert got["card_id"]["quantiles"][0] >= 4000000000000001
    merchant = got["merchant_cat"]
    assert merchant["conditional_on"] == "channel"
    for key, choices in merchant["conditional_table"].items():
        expected = shares(want["merchant_cat"]["conditional_table"][key])
        for value, share in shares(choices).items():
            assert share == pytest.approx(expected[value], abs=WEIGHT_TOL), (key, value)
    amount = got["amount"]
    assert (amount["distribution"], amount["decimals"]) == ("lognormal", 2)
    assert amount["mean"] == pytest.approx(3.6, abs=0.01)
    assert amount["stddev"] == pytest.approx(0.9, abs=0.01)
    assert got["is_international"] == {  # city != home city in every row, as declared
        "name": "is_international", "type": "derived_compare", "left": "card_home_city",
        "op": "!=", "right": "city",
        "description": "true where card_home_city != city, in every row"}
    for name in ("is_chip", "is_contactless", "label_fraud"):
        assert got[name]["type"] == "bool"
        assert got[name]["p_true"] == pytest.approx(want[name]["p_true"], abs=0.005)
    assert got["key"]["type"] == "derived_concat"
    assert (got["key"]["parts"], got["key"]["sep"]) == (want["key"]["parts"], "|")
    assert doc["analysis"]["timestamp_field"] == "event_time"
    assert doc["analysis"]["dimensions"] == ["card_home_city", "card_type", "city", "channel",
                                             "merchant_cat"]
    assert doc["analysis"]["numeric_fields"] == ["card_limit", "amount"]  # not card_id
    assert doc["analysis"]["boolean_fields"] == ["is_international", "is_chip",
                                                 "is_contactless", "label_fraud"]
    assert f"{ROWS:,} rows" in doc["description"]


def test_card_round_trip_meets_the_targets(card, tmp_path):
    real, doc = card
    synthetic = generate(doc, tmp_path / "synthetic.csv", ROWS, seed=11)
    report = compare(read_samples([real]), read_samples([synthetic]))
    assert report["summary"]["ok"], [c for c in report["columns"] if not c["ok"]]
    assert report["summary"]["privacy_ok"]
    assert report["summary"]["min_hour_r"] >= 0.95


def test_retail_parameters_and_round_trip(tmp_path):
    real = generate(SCHEMAS / "retail_orders.json", tmp_path / "retail.jsonl.gz", ROWS)
    doc = infer(real)
    got, want = fields(doc), declared(SCHEMAS / "retail_orders.json")
    assert got["order_id"] == {"name": "order_id", "type": "id_sequence", "start": 100001,
                               "step": 1}
    assert got["product"]["conditional_on"] == "category"
    assert got["unit_price"]["type"] == "derived_map"
    assert got["unit_price"]["from_field"] == "product"
    assert got["unit_price"]["map"] == {k: v for k, v in want["unit_price"]["map"].items()}
    quantity = shares(got["quantity"]["choices"])  # whole numbers 1..6, skew 2.5
    expected = {q: ((q / 6) ** (1 / 2.5) - ((q - 1) / 6) ** (1 / 2.5)) for q in range(1, 7)}
    for value, share in quantity.items():
        assert share == pytest.approx(expected[value], abs=WEIGHT_TOL)
    assert doc["output"] == {"format": "jsonl"}
    assert doc["analysis"]["numeric_fields"] == ["quantity", "unit_price"]
    synthetic = generate(doc, tmp_path / "synthetic.csv", ROWS, seed=5)
    report = compare(read_samples([real]), read_samples([synthetic]))
    assert report["summary"]["ok"], [c for c in report["columns"] if not c["ok"]]

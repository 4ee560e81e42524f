"""The pair and privacy checks of --compare on samples whose relations are known: each
passes on a fresh draw of the same population and fails on a planted loss, at its edge."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from services.infer import pairs, privacy
from services.infer.compare import compare, format_report
from services.infer.samples import Sample

N = 20_000


def sample(columns: dict) -> Sample:
    arrays = {name: pa.chunked_array([pa.array([None if v is None else str(v) for v in values],
                                               pa.string())])
              for name, values in columns.items()}
    return Sample(arrays, len(next(iter(columns.values()))), (Path("x.csv"),))


def copula(rng: np.random.Generator, rho_s: float, n: int = N) -> tuple[np.ndarray, ...]:
    """Two numbers of rank correlation rho_s: a Gaussian copula, lognormal and uniform
    margins."""
    r = 2 * math.sin(math.pi * rho_s / 6)
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], n)
    return np.round(np.exp(3 + z[:, 0]), 2), np.round(z[:, 1] * 10 + 50, 3)


def test_spearman_edges():
    ties = np.array([3.0, 1.0, 3.0, 2.0])
    # mid-ranks 3.5, 1, 3.5, 2 against 4, 1, 3, 2: centred products 4.5 over sqrt(4.5 x 5)
    assert pairs.spearman(ties, np.array([4.0, 1.0, 3.0, 2.0])) == pytest.approx(
        4.5 / math.sqrt(4.5 * 5.0))
    x = np.arange(10.0)
    assert pairs.spearman(x, x ** 3) == pytest.approx(1.0)
    assert pairs.spearman(x, -x) == pytest.approx(-1.0)
    assert pairs.spearman(x, np.ones(10)) is None  # constant: no correlation to speak of
    with_gaps = np.where(x % 3 == 0, np.nan, x)
    assert pairs.spearman(with_gaps, x ** 2) == pytest.approx(1.0)  # rows with both only
    assert pairs.spearman(np.array([1.0, np.nan, 2.0]), np.array([1.0, 2.0, 3.0])) is None


@pytest.mark.parametrize(("synthetic_rho", "ok"), [(0.60, True), (0.63, True), (0.67, False),
                                                   (0.52, False), (0.0, False)])
def test_rank_correlation_within_005_of_a_strong_real_one(synthetic_rho, ok):
    rng = np.random.default_rng(1)
    price, size = copula(rng, 0.60)
    fake_price, fake_size = copula(rng, synthetic_rho)
    report = compare(sample({"price": price, "size": size}),
                     sample({"price": fake_price, "size": fake_size}))
    [pair] = report["pairs"]["rank_correlations"]
    assert pair["columns"] == ["price", "size"] and pair["judged"]
    assert pair["real"] == pytest.approx(0.60, abs=0.015)
    assert pair["ok"] is ok and report["summary"]["pairs_ok"] is ok
    assert report["summary"]["ok"] is ok


def test_a_weak_real_correlation_is_reported_not_judged():
    rng = np.random.default_rng(2)
    report = compare(sample(dict(zip(("a", "b"), copula(rng, 0.2), strict=True))),
                     sample(dict(zip(("a", "b"), copula(rng, 0.0), strict=True))))
    [pair] = report["pairs"]["rank_correlations"]
    assert not pair["judged"] and pair["ok"] and pair["diff"] == pytest.approx(0.2, abs=0.03)


def test_contingency_of_labels_that_depend_on_each_other():
    rng = np.random.default_rng(3)
    level = rng.choice(["low", "mid", "high"], N, p=[0.6, 0.3, 0.1])
    page = {"low": 0.1, "mid": 0.5, "high": 0.9}
    action = np.where(rng.random(N) < np.vectorize(page.get)(level), "page", "log")
    real = sample({"level": level, "action": action})
    again = np.where(rng.random(N) < np.vectorize(page.get)(level), "page", "log")
    [same] = compare(real, sample({"level": level, "action": again}))["pairs"]["contingency"]
    assert same["ok"] and same["tv"] < 0.02 and same["chance"] > 0
    lost = rng.permutation(action)  # each column alone unchanged, the relation gone
    report = compare(real, sample({"level": level, "action": lost}))
    [pair] = report["pairs"]["contingency"]
    assert not pair["ok"] and pair["tv"] > 0.15
    assert all(c["ok"] for c in report["columns"]) and not report["summary"]["ok"]


@pytest.mark.parametrize(("shift", "ok"), [(1.05, True), (1.09, True), (1.12, False),
                                           (0.85, False)])
def test_a_numbers_mean_per_level_within_10_percent(shift, ok):
    rng = np.random.default_rng(4)
    n = 100_000  # big levels: the standard error is far below 10% of the mean
    cut = rng.choice(["Ideal", "Fair", "rare"], n, p=[0.7, 0.295, 0.005])
    mean = np.where(cut == "Ideal", 100.0, np.where(cut == "Fair", 200.0, 50.0))
    real = sample({"cut": cut, "price": np.round(rng.normal(mean, 10), 2)})
    fake_mean = np.where(cut == "Fair", 200.0 * shift, mean)
    report = compare(real, sample({"cut": cut, "price": np.round(rng.normal(fake_mean, 10),
                                                                     2)}))
    [pair] = report["pairs"]["level_means"]
    assert pair["levels"] == 2  # "rare" has 0.5% of the rows: not judged
    assert pair["ok"] is ok
    if not ok:
        assert pair["level"] == "Fair"
        assert pair["error"] == pytest.approx(abs(shift - 1), abs=0.01)


def test_a_small_noisy_level_passes_within_three_standard_errors():
    rng = np.random.default_rng(5)
    cut = np.array(["big"] * 19_700 + ["small"] * 300)
    spread = np.where(cut == "small", 400.0, 1.0)
    real = sample({"cut": cut, "price": np.round(100 + rng.normal(0, spread), 2)})
    fake = sample({"cut": cut, "price": np.round(100 + rng.normal(0, spread), 2)})
    [pair] = compare(real, fake)["pairs"]["level_means"]
    assert pair["ok"] and (pair["error"] > 0.1 or pair["z"] <= 3)


def population(rng: np.random.Generator, n: int) -> dict:
    price, size = copula(rng, 0.5, n)
    return {"id": [f"{v:032x}" for v in rng.integers(0, 2**62, n)],
            "city": rng.choice(["Paris", "Lyon", "Nice", "Lille"], n), "price": price,
            "size": size}


def test_privacy_passes_fresh_draws_and_fails_copies_even_under_new_identifiers():
    rng = np.random.default_rng(6)
    real = population(rng, N)
    fresh = compare(sample(real), sample(population(rng, N)))["privacy"]
    assert fresh["ok"] and fresh["copies"]["synthetic_share"] == 0
    assert fresh["dcr"]["closer_share"] < 0.08
    assert "id" not in fresh["columns"]  # an identifier names a row
    rows = rng.choice(N, N)
    copied = {k: np.asarray(v)[rows] for k, v in real.items()}
    copied["id"] = population(rng, N)["id"]
    report = compare(sample(real), sample(copied))
    got = report["privacy"]
    assert not got["ok"] and not report["summary"]["ok"]
    assert got["copies"]["synthetic_share"] == pytest.approx(0.5, abs=0.02)  # the reference
    assert not got["copies"]["ok"] and not got["dcr"]["ok"]
    assert got["dcr"]["closer_share"] > 0.4
    assert (got["dcr"]["synthetic_rows"], got["dcr"]["reference_rows"]) == (
        privacy.DCR_ROWS, N // 2 if N // 2 < privacy.REFERENCE_ROWS else privacy.REFERENCE_ROWS)


def test_a_few_copies_beyond_chance_fail_the_copy_check():
    rng = np.random.default_rng(7)
    real = population(rng, N)
    fake = population(rng, N)
    leak = rng.choice(N, N // 50, replace=False)  # 2% copied rows
    for key in ("city", "price", "size"):
        np.asarray(fake[key])[leak] = np.asarray(real[key])[leak]
    copies = compare(sample(real), sample(fake))["privacy"]["copies"]
    assert copies["synthetic_share"] == pytest.approx(0.01, abs=0.003) and not copies["ok"]


def test_pairs_are_measured_on_a_bounded_sample(monkeypatch):
    monkeypatch.setattr(pairs, "PAIR_ROWS", 5000)
    rng = np.random.default_rng(8)
    price, size = copula(rng, 0.6)
    report = compare(sample({"price": price, "size": size}),
                     sample({"price": price, "size": size}))
    assert report["pairs"]["rows"] == {"real": 5000, "synthetic": 5000}
    [pair] = report["pairs"]["rank_correlations"]
    assert pair["real"] == pytest.approx(0.6, abs=0.03)


def test_report_text_and_json_with_missing_values_and_no_synthetic_level():
    rng = np.random.default_rng(9)
    price, size = copula(rng, 0.7)
    price = np.where(rng.random(N) < 0.1, None, price)
    cut = rng.choice(["a", "b"], N)
    real = sample({"cut": cut, "price": price, "size": size})
    fake = sample({"cut": np.full(N, "a"), "price": price, "size": size})
    report = compare(real, fake)
    json.dumps(report, allow_nan=False)  # no NaN or Infinity in the JSON
    [means] = [r for r in report["pairs"]["level_means"] if r["number"] == "price"]
    assert (means["level"], means["synthetic_mean"], means["ok"]) == ("b", None, False)
    text = format_report(report)
    assert "rank correlation: 1 of 1 number pairs with real |rho| >= 0.3 within 0.05" in text
    assert "price where cut = b" in text and "NOT within the targets: columns, pairs" in text
    assert "closest record:" in text and "copies:" in text

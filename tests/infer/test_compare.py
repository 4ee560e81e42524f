"""The fidelity report on small samples whose distances are known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from services.infer.compare import compare, format_report
from services.infer.samples import Sample

N = 20_000


def sample(**columns) -> Sample:
    arrays = {name: pa.chunked_array([pa.array(values, pa.string())])
              for name, values in columns.items()}
    return Sample(arrays, N, (Path("x.csv"),))


def iso(seconds: np.ndarray) -> list[str]:
    return np.datetime_as_string(seconds.astype("datetime64[s]")).tolist()


def by_name(report: dict) -> dict:
    return {c["name"]: c for c in report["columns"]}


def test_distances_and_problems():
    rng = np.random.default_rng(3)
    start = np.datetime64("2025-01-06T00:00:00").astype(np.int64)
    flat = start + rng.integers(0, 7 * 86400, N)
    evening = start + rng.integers(0, 7, N) * 86400 + rng.integers(18 * 3600, 22 * 3600, N)
    real = sample(
        flag=np.where(rng.random(N) < 0.3, "Y", "N").tolist(),
        level=rng.choice(["a", "b"], N, p=[0.5, 0.5]).tolist(),
        size=[f"{v:.2f}" for v in rng.normal(10, 2, N)],
        flat=iso(flat), busy=iso(evening),
        gappy=[None if i % 10 == 0 else "x" for i in range(N)],
        gone=["1"] * N)
    synthetic = sample(
        flag=np.where(rng.random(N) < 0.3, "true", "false").tolist(),
        level=rng.choice(["a", "b"], N, p=[0.6, 0.4]).tolist(),
        size=[f"{v:.2f}" for v in rng.normal(11, 2, N)],
        flat=iso(start + rng.integers(0, 7 * 86400, N)),
        busy=iso(start + rng.integers(0, 7 * 86400, N)),
        gappy=["x"] * N)
    report = compare(real, synthetic)
    got = by_name(report)
    assert got["flag"]["ok"] and got["flag"]["tv"] < 0.02  # Y/N is true/false
    assert got["level"]["tv"] == pytest.approx(0.1, abs=0.015) and not got["level"]["ok"]
    assert got["size"]["kind"] == "number" and got["size"]["ks"] == pytest.approx(0.2, abs=0.02)
    assert got["flat"]["ok"] and got["flat"]["hour_r"] is None  # flat: no correlation
    assert got["busy"]["hour_r"] < 0.95 and not got["busy"]["ok"]
    assert got["gappy"]["null_diff"] == pytest.approx(0.1) and not got["gappy"]["ok"]
    assert got["gone"]["kind"] == "missing"
    summary = report["summary"]
    assert (summary["columns"], summary["within_targets"], summary["ok"]) == (7, 2, False)
    text = format_report(report)
    assert "NO: total variation" in text and "2 of 7 columns within the targets" in text


def test_equal_null_rates_in_samples_of_different_sizes_differ_by_0():
    """100 real rows and 400 synthetic ones, 10% null in each: each rate is over its own
    sample's rows."""
    def nulls(rows: int) -> Sample:
        values = [None if i % 10 == 0 else "a" for i in range(rows)]
        return Sample({"x": pa.chunked_array([pa.array(values, pa.string())])}, rows,
                      (Path("x.csv"),))
    report = compare(nulls(100), nulls(400))
    assert (report["real_rows"], report["synthetic_rows"]) == (100, 400)
    [column] = report["columns"]
    assert column["null_diff"] == 0.0 and column["ok"]
    [column] = compare(nulls(100), nulls(390))["columns"]  # 39 nulls in 390: 10% too
    assert column["null_diff"] == pytest.approx(0.0)


def test_a_label_target_allows_what_chance_gives_samples_of_that_size():
    """Shares 0.04 apart pass on 200 rows a side, where chance alone gives TV 0.040 (by
    hand: 2 values x sqrt(2/pi) x sqrt(0.25 x (1/200 + 1/200)), halved), and fail on 20,000
    a side, where it gives 0.004."""
    def labels(n: int, share: float) -> Sample:
        values = ["a"] * round(n * share) + ["b"] * (n - round(n * share))
        return Sample({"label": pa.chunked_array([pa.array(values)])}, n, (Path("x.csv"),))

    small = by_name(compare(labels(200, 0.5), labels(200, 0.54)))["label"]
    assert small["tv"] == pytest.approx(0.04)
    assert small["tv_target"] == pytest.approx(0.02 + np.sqrt(2 / np.pi) * 0.05)
    assert small["ok"]
    large = by_name(compare(labels(20_000, 0.5), labels(20_000, 0.54)))["label"]
    assert large["tv_target"] == pytest.approx(0.02 + np.sqrt(2 / np.pi) * 0.005)
    assert not large["ok"] and "total variation 0.0400 (> 0.02 + chance" in large["problems"][0]

"""Text categories: values that repeat are a weighted category (hundreds or thousands of
levels by name, the rest as "(other)" past LEVELS_MAX), values seen once are never kept by
name, and only (nearly) all-distinct values of one shape are a `pattern`."""

from __future__ import annotations

import string

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from services.infer.samples import read_samples
from services.infer.stats import total_variation
from services.infer.strings import LEVELS_MAX, MIN_REPEATS, OTHER
from tests.infer.extracts import fields, generate, infer, shares


def write_csv(path, columns: dict) -> None:
    pacsv.write_csv(pa.table(columns), path)


def codes(rng: np.random.Generator, n: int, shape: str) -> list[str]:
    """n distinct codes: L a capital letter, D a digit, anything else itself."""
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(list(string.ascii_uppercase)) if c == "L" else
                        str(rng.integers(0, 10)) if c == "D" else c for c in shape))
    return sorted(out)


def zipf_shares(k: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, k + 1) ** 0.8
    return weights / weights.sum()


def column_tv(real, synthetic) -> float:
    def dist(values):
        values, counts = np.unique(np.asarray(values, dtype=object).astype(str),
                                   return_counts=True)
        return dict(zip(values.tolist(), (counts / counts.sum()).tolist(), strict=True))
    return total_variation(dist(real), dist(synthetic))


def round_trip_tv(tmp_path, name: str, values: list[str]) -> tuple[dict, float]:
    """The inferred field, and the TV between the real column and one generated from it."""
    real = tmp_path / "real.csv"
    write_csv(real, {name: values})
    doc = infer(real)
    synthetic = generate(doc, tmp_path / "synthetic.csv", len(values), seed=5)
    made = read_samples([synthetic]).columns[name].to_pylist()
    return fields(doc)[name], column_tv(values, made)


def test_a_hundred_airport_codes_are_a_category_close_to_the_real_column(tmp_path):
    rng = np.random.default_rng(1)
    airports = codes(rng, 100, "LLL")
    values = rng.choice(airports, 50_000, p=zipf_shares(100)).tolist()
    field, tv = round_trip_tv(tmp_path, "origin", values)
    assert field["type"] == "category" and len(field["choices"]) == 100
    assert OTHER not in shares(field["choices"])
    assert tv < 0.02


def test_thousands_of_tail_numbers_each_repeated_are_a_category_of_them_all(tmp_path):
    rng = np.random.default_rng(2)
    tails = codes(rng, 4000, "NDDDLL")
    values = rng.choice(tails, 120_000, p=zipf_shares(4000)).tolist()
    field, tv = round_trip_tv(tmp_path, "tail", values)
    seen, counts = np.unique(values, return_counts=True)
    kept = set(seen[counts >= MIN_REPEATS].tolist())
    got = shares(field["choices"])
    assert field["type"] == "category" and set(got) - {OTHER} == kept
    assert got.get(OTHER, 0) == pytest.approx(np.mean(~np.isin(values, list(kept))), abs=1e-4)
    real = dict(zip(seen.tolist(), (counts / len(values)).tolist(), strict=True))
    assert total_variation(real, got) < 0.005  # the weights are the real shares
    # 4000 levels in 120k rows: two real extracts differ by chance alone; ours no more
    chance = column_tv(values, rng.choice(tails, len(values), p=zipf_shares(4000)).tolist())
    assert tv < 1.2 * chance


def test_more_levels_than_the_limit_keep_the_most_common_and_the_rest_as_other(tmp_path):
    rng = np.random.default_rng(3)
    levels = [f"w{i:05d}" for i in range(LEVELS_MAX + 1000)]
    counts = np.where(np.arange(len(levels)) < LEVELS_MAX, 4, 2)  # the first ones, 4 times
    values = rng.permutation(np.repeat(levels, counts)).tolist()
    write_csv(tmp_path / "w.csv", {"word": values})
    field = fields(infer(tmp_path / "w.csv"))["word"]
    got = shares(field["choices"])
    assert len(got) == LEVELS_MAX + 1 and set(got) - {OTHER} == set(levels[:LEVELS_MAX])
    assert got[OTHER] == pytest.approx(1000 * 2 / len(values), rel=1e-3)
    assert field["description"].startswith(f"the {LEVELS_MAX} most common")


def test_values_seen_once_are_other_never_by_name(tmp_path):
    """A value seen once would be copied into every synthetic extract: it is OTHER."""
    values = ["a"] * 40 + ["b"] * 30 + [f"once{i}" for i in range(30)]
    write_csv(tmp_path / "o.csv", {"x": values})
    got = shares(fields(infer(tmp_path / "o.csv"))["x"]["choices"])
    assert got == pytest.approx({"a": 0.4, "b": 0.3, OTHER: 0.3})


@pytest.mark.parametrize("repeated", [0.0, 0.3, 0.45])
def test_codes_that_are_nearly_all_distinct_are_a_pattern(tmp_path, repeated):
    """Below half the rows in values that repeat: identifiers, a pattern; at half or more, a
    category (the edge of CATEGORY_SHARE)."""
    rng = np.random.default_rng(4)
    n = 4000
    unique = codes(rng, n, "LL-DDDD")
    twice = int(n * repeated / 2)  # values each written twice: 2 * twice rows
    values = unique[:n - 2 * twice] + [v for v in unique[n - twice:] for _ in range(2)]
    write_csv(tmp_path / "c.csv", {"code": rng.permutation(values).tolist()})
    field = fields(infer(tmp_path / "c.csv"))["code"]
    assert field["type"] == "string" and field["pattern"] == "{A-Z}{A-Z}-{0000-9999}"


def test_half_the_rows_in_repeated_values_make_a_category(tmp_path):
    rng = np.random.default_rng(5)
    unique = codes(rng, 3000, "LL-DDDD")
    values = unique[:1000] + [v for v in unique[1000:2000] for _ in range(2)]  # 2/3 repeat
    write_csv(tmp_path / "c.csv", {"code": rng.permutation(values).tolist()})
    got = shares(fields(infer(tmp_path / "c.csv"))["code"]["choices"])
    assert len(got) == 1001 and got[OTHER] == pytest.approx(1 / 3, abs=1e-3)

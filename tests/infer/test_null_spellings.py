"""A column of numbers with a null spelling in it (R's NA, SQL's NULL, pandas' NaN...) is
a column of numbers with nulls; a category never gets such a spelling as a value."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from services.extracts import NULL_SPELLINGS
from tests.infer.extracts import fields, generate, infer, shares

N = 2000


@pytest.mark.parametrize("spelling", NULL_SPELLINGS)
def test_each_spelling_is_a_null_of_a_number_or_category_column(tmp_path, spelling):
    rng = np.random.default_rng(4)
    missing = rng.random((3, N)) < [[0.1], [0.2], [0.3]]  # a row of nulls alone is blank
    sales = np.where(missing[0], spelling, rng.integers(100, 900, N).astype(str))
    price = np.where(missing[1], f" {spelling} ", np.round(rng.normal(50, 5, N), 2).astype(str))
    kind = np.where(missing[2], spelling, rng.choice(["house", "flat"], N))
    lines = ["sales,price,kind"] + [f"{a},{b},{c}" for a, b, c in zip(sales, price, kind,
                                                                       strict=True)]
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    got = fields(infer(tmp_path / "m.csv"))
    kept = ~missing.all(axis=0)
    assert got["sales"]["type"] == "int" and got["price"]["type"] == "float"
    for row, name in enumerate(("sales", "price", "kind")):
        assert got[name]["null_prob"] == pytest.approx(missing[row][kept].mean(), rel=1e-3)
    assert got["kind"]["type"] == "category" and set(shares(got["kind"]["choices"])) == {
        "house", "flat"}


def test_in_jsonl_only_json_null_is_null(tmp_path):
    kinds = [None if i % 10 == 0 else "NA" if i % 10 == 1 else "house" for i in range(N)]
    (tmp_path / "m.jsonl").write_text("".join(
        json.dumps({"id": i, "kind": kind}) + "\n" for i, kind in enumerate(kinds)))
    kind = fields(infer(tmp_path / "m.jsonl"))["kind"]
    assert kind["null_prob"] == pytest.approx(0.1)
    assert shares(kind["choices"]) == pytest.approx({"house": 8 / 9, "NA": 1 / 9}, abs=1e-3)


SCHEMA = {
    "seed": 1,
    "time_window": {"start": "2025-03-01T00:00:00", "end": "2025-03-20T23:59:59"},
    "schema": {"fields": [
        {"name": "at", "type": "datetime", "null_prob": 0.05},
        {"name": "level", "type": "category", "null_prob": 0.1,
         "choices": [{"value": "low", "weight": 6}, {"value": "high", "weight": 4}]},
        {"name": "count", "type": "int", "min": 0, "max": 1000, "null_prob": 0.2},
        {"name": "temp", "type": "float", "distribution": "normal", "mean": 20, "stddev": 5,
         "decimals": 1, "null_prob": 0.3},
        {"name": "flag", "type": "bool", "p_true": 0.3, "null_prob": 0.1}]},
}
SCHEMA_NAMES = [f["name"] for f in SCHEMA["schema"]["fields"]]


@pytest.mark.parametrize("spelling", ["NA", "NULL", "NaN", "None"])
def test_a_generated_extract_with_its_nulls_respelled_infers_the_same_schema(tmp_path,
                                                                             spelling):
    """The generator writes nulls as empty cells; an export of the same rows that spells
    them otherwise is the same data."""
    original = generate(SCHEMA, tmp_path / "empty.csv", 20_000)
    table = pacsv.read_csv(original, convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(SCHEMA_NAMES, pa.string()), strings_can_be_null=True))
    respelled = pa.table({name: pc.fill_null(table[name], spelling) for name in SCHEMA_NAMES})
    pacsv.write_csv(respelled, tmp_path / "spelled.csv")
    assert f',"{spelling}",' in (tmp_path / "spelled.csv").read_text()
    expected, got = infer(original), infer(tmp_path / "spelled.csv")
    assert fields(got) == fields(expected) and got["time_window"] == expected["time_window"]
    assert fields(got)["temp"]["null_prob"] == pytest.approx(0.3, abs=0.01)

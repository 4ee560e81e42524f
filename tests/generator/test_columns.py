"""Each field type's values against its declared parameters, on fixed seeds."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from services.generator import generate_table
from services.generator.render import text
from services.schema import parse_schema


def dataset(*fields, **top):
    return parse_schema({"schema": {"fields": list(fields)}, **top})


def column(field: dict, n: int = 200_000, seed: int = 7, **top) -> np.ndarray:
    table = generate_table(dataset(field, **top), seed, n)
    return table.column(field["name"]).to_numpy(zero_copy_only=False)


def shares(values) -> dict:
    found, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_counts=True)
    return dict(zip(found, counts / counts.sum(), strict=True))


def test_uuid_is_version_4_and_unique():
    values = column({"name": "u", "type": "uuid"}, n=100_000)
    assert len(set(values)) == len(values)
    for value in values[:1000]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and str(parsed) == value


def test_id_sequence_follows_start_and_step_across_blocks():
    values = column({"name": "i", "type": "id_sequence", "start": 10, "step": 3}, n=150_000)
    assert np.array_equal(values, 10 + 3 * np.arange(150_000))


def test_int_with_skew_one_is_uniform_over_min_to_max():
    values = column({"name": "i", "type": "int", "min": 3, "max": 7})
    assert values.min() == 3 and values.max() == 7
    for share in shares(values).values():
        assert share == pytest.approx(0.2, abs=0.005)


def test_int_skew_follows_the_power_law():
    values = column({"name": "i", "type": "int", "min": 0, "max": 999, "skew": 3.0})
    # P(value < x) = P(u**3 < x/1000) = (x/1000)**(1/3)
    assert np.mean(values < 125) == pytest.approx(0.5, abs=0.005)
    assert values.min() >= 0 and values.max() <= 999


@pytest.mark.parametrize(("params", "mean", "std"), [
    ({"distribution": "uniform", "min": 2, "max": 6}, 4.0, 4 / 12**0.5),
    ({"distribution": "normal", "mean": -3, "stddev": 2}, -3.0, 2.0),
    ({"distribution": "exponential", "lambda": 0.5}, 2.0, 2.0),
])
def test_float_distributions(params, mean, std):
    values = column({"name": "f", "type": "float", **params})
    assert values.mean() == pytest.approx(mean, abs=0.02 * max(1, abs(mean)))
    assert values.std() == pytest.approx(std, rel=0.02)


def test_lognormal_median_and_decimals():
    values = column({"name": "f", "type": "float", "distribution": "lognormal", "mean": 3.6,
                     "stddev": 0.9, "decimals": 2})
    assert np.median(values) == pytest.approx(np.exp(3.6), rel=0.01)
    assert np.allclose(values * 100, np.round(values * 100), atol=1e-6)
    assert np.std(np.log(values)) == pytest.approx(0.9, rel=0.02)


def test_bool_p_true():
    values = column({"name": "b", "type": "bool", "p_true": 0.137})
    assert values.dtype == bool and values.mean() == pytest.approx(0.137, abs=0.003)


def test_category_weights_are_relative():
    values = column({"name": "c", "type": "category",
                     "choices": [{"value": "a", "weight": 6}, {"value": "b", "weight": 3},
                                 "c", {"value": "z", "weight": 0}]})
    found = shares(values)
    assert found["a"] == pytest.approx(0.6, abs=0.005)
    assert found["b"] == pytest.approx(0.3, abs=0.005)
    assert found["c"] == pytest.approx(0.1, abs=0.005)
    assert "z" not in found


def test_category_of_numbers_keeps_its_type():
    table = generate_table(dataset({"name": "c", "type": "category", "choices": [1, 2, 3]}), 1, 10)
    assert table.column("c").type == pa.int64()


def test_conditional_category_uses_each_rows_table():
    ds = dataset(
        {"name": "s", "type": "category", "choices": ["a", "b", "c"]},
        {"name": "p", "type": "category", "conditional_on": "s",
         "conditional_table": {"a": ["a1", {"value": "a2", "weight": 3}], "b": ["b1"],
                               "_default": ["other"]}},
    )
    table = generate_table(ds, 3, 120_000).to_pandas()
    assert set(table.loc[table.s == "b", "p"]) == {"b1"}
    assert set(table.loc[table.s == "c", "p"]) == {"other"}
    a_rows = table.loc[table.s == "a", "p"]
    assert (a_rows == "a2").mean() == pytest.approx(0.75, abs=0.01)


def test_string_pattern_shape():
    values = column({"name": "s", "type": "string", "pattern": "ID-{A-Z}{a-z}-{007-120}/{x}"},
                    n=50_000)
    assert all(re.fullmatch(r"ID-[A-Z][a-z]-\d{3}/\{x\}", v) for v in values)
    numbers = np.array([int(v[6:9]) for v in values])
    assert numbers.min() == 7 and numbers.max() == 120
    assert len({v[3] for v in values}) == 26


def test_default_string_pattern():
    values = column({"name": "s", "type": "string"}, n=1000)
    assert all(re.fullmatch(r"STR-\d{4}", v) for v in values)


def test_null_prob_on_any_field():
    values = column({"name": "i", "type": "int", "null_prob": 0.25})
    table = generate_table(dataset({"name": "i", "type": "int", "null_prob": 0.25}), 7, 200_000)
    assert table.column("i").null_count / 200_000 == pytest.approx(0.25, abs=0.005)
    assert len(values) == 200_000


WINDOW = {"start": "2025-01-06T00:00:00", "end": "2025-01-19T23:59:59"}  # two whole weeks


def times(field: dict, n: int = 400_000) -> pa.Array:
    return times_in(field, WINDOW, n)


def times_in(field: dict, time_window: dict, n: int) -> pa.Array:
    return generate_table(dataset(field, time_window=time_window), 11, n) \
        .column(field["name"]).combine_chunks()


def test_uniform_datetimes_stay_in_the_window():
    values = times({"name": "t", "type": "datetime"})
    assert pc.min(values).as_py() >= datetime(2025, 1, 6)
    assert pc.max(values).as_py() <= datetime(2025, 1, 19, 23, 59, 59)


def test_seasonality_weights_are_exact_relative_ratios():
    values = times({"name": "t", "type": "datetime", "mode": "seasonality",
                    "profile": {"hour_of_day": {"8": 1.5, "20": 3.0, "_default": 1.0},
                                "day_of_week": {"5": 2.0}}})
    hours = np.bincount(pc.hour(values).to_numpy(), minlength=24)
    others = np.delete(hours, [8, 20]).mean()
    assert hours[8] / others == pytest.approx(1.5, rel=0.03)
    assert hours[20] / others == pytest.approx(3.0, rel=0.03)
    days = np.bincount(pc.day_of_week(values).to_numpy(), minlength=7)  # Monday = 0
    assert days[5] / np.delete(days, 5).mean() == pytest.approx(2.0, rel=0.03)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_ramp_is_monotone_across_blocks(direction):
    values = times({"name": "t", "type": "datetime", "mode": "ramp", "direction": direction},
                   n=200_000)
    seconds = pc.cast(values, pa.int64()).to_numpy()
    steps = np.diff(seconds)
    assert (steps >= 0).all() if direction == "up" else (steps <= 0).all()
    assert seconds.max() - seconds.min() > 13 * 86_400  # spans the window


def test_datetime_formats_render_as_declared():
    ds = dataset(
        {"name": "iso", "type": "datetime"},
        {"name": "ms", "type": "datetime", "format": "epoch_ms"},
        {"name": "s", "type": "datetime", "format": "epoch_s"},
        {"name": "day", "type": "datetime", "format": "%d/%m/%Y %H"},
    )
    table = generate_table(ds, 5, 1000)
    iso = text(ds.field("iso"), table.column("iso").combine_chunks()).to_pylist()
    assert all(datetime.fromisoformat(v).isoformat() == v for v in iso)
    raw = pc.cast(table.column("ms").combine_chunks(), pa.int64()).to_numpy()
    ms = text(ds.field("ms"), table.column("ms").combine_chunks()).to_pylist()
    assert [int(v) for v in ms] == list(raw * 1000)
    day = text(ds.field("day"), table.column("day").combine_chunks()).to_pylist()
    assert all(re.fullmatch(r"\d\d/01/2025 \d\d", v) for v in day)


def test_geo_within_bbox_and_precision():
    ds = dataset({"name": "g", "type": "geo", "bbox": [48.8, 2.2, 48.9, 2.5], "precision": 3},
                 {"name": "h", "type": "geo", "bbox": [-10, -10, 10, 10], "as_object": False})
    table = generate_table(ds, 9, 20_000)
    lat = pc.struct_field(table.column("g").combine_chunks(), "lat").to_numpy()
    lon = pc.struct_field(table.column("g").combine_chunks(), "lon").to_numpy()
    assert lat.min() >= 48.8 and lat.max() <= 48.9 and lon.min() >= 2.2 and lon.max() <= 2.5
    assert np.allclose(lat * 1000, np.round(lat * 1000))
    obj = text(ds.field("g"), table.column("g").combine_chunks()).to_pylist()
    assert json.loads(obj[0]) == {"lat": lat[0], "lon": lon[0]}
    pair = text(ds.field("h"), table.column("h").combine_chunks()).to_pylist()
    assert all(re.fullmatch(r"-?\d+(\.\d+)?,-?\d+(\.\d+)?", v) for v in pair)


def test_derived_fields_equal_their_definition_row_by_row():
    ds = dataset(
        {"name": "a", "type": "category", "choices": ["x", "y", "z"], "null_prob": 0.2},
        {"name": "n", "type": "int", "min": 1, "max": 3},
        {"name": "b", "type": "bool"},
        {"name": "k", "type": "derived_concat", "parts": ["a", "n", "b"], "sep": "|"},
        {"name": "m", "type": "derived_map", "from_field": "a", "map": {"x": 1.5, "y": 2},
         "default": -1},
    )
    rows = generate_table(ds, 4, 70_000).to_pylist()
    mapping = {"x": 1.5, "y": 2.0}
    for row in rows:
        a = row["a"] or ""
        assert row["k"] == f"{a}|{row['n']}|{'true' if row['b'] else 'false'}"
        assert row["m"] == mapping.get(row["a"], -1.0)


def test_faker_values_come_from_the_provider_and_are_reproducible():
    ds = dataset({"name": "city", "type": "faker", "provider": "city", "pool_size": 500})
    first = generate_table(ds, 1, 5000).column("city").to_pylist()
    again = generate_table(ds, 1, 5000).column("city").to_pylist()
    other = generate_table(ds, 2, 5000).column("city").to_pylist()
    assert first == again and first != other
    assert 50 < len(set(first)) <= 500
    assert all(isinstance(v, str) and v for v in first)


def test_faker_numbers_keep_their_type():
    ds = dataset({"name": "n", "type": "faker", "provider": "pyint",
                  "args": {"min_value": 1, "max_value": 9}})
    values = generate_table(ds, 1, 1000).column("n")
    assert values.type == pa.int64()
    assert pc.min(values).as_py() >= 1 and pc.max(values).as_py() <= 9


def test_a_bool_picks_each_rows_conditional_table():
    ds = dataset(
        {"name": "online", "type": "bool", "p_true": 0.3},
        {"name": "channel", "type": "category", "conditional_on": "online",
         "conditional_table": {"true": ["web", "app"], "false": ["shop"]}},
    )
    table = generate_table(ds, 3, 20_000).to_pandas()
    assert set(table.loc[table.online, "channel"]) == {"web", "app"}
    assert set(table.loc[~table.online, "channel"]) == {"shop"}


def test_a_date_only_end_includes_its_whole_last_day():
    values = times_in({"name": "t", "type": "datetime"},
                      {"start": "2025-02-08", "end": "2025-02-09"}, n=200_000)
    assert pc.min(values).as_py() >= datetime(2025, 2, 8)
    assert pc.max(values).as_py() <= datetime(2025, 2, 9, 23, 59, 59)
    days = pc.day(values).to_numpy()
    assert np.mean(days == 9) == pytest.approx(0.5, abs=0.01)
    last_hour = pc.hour(pc.filter(values, pc.equal(pc.day(values), 9))).to_numpy()
    assert last_hour.max() == 23


"""The `int` and `float` columns: each margin as an inverse CDF of a uniform u, per level of a
category when the field has a conditional table (tables may nest), and from the copula's u
when the field is in a `correlations` block.

A field with neither keeps its historic draws (a float's normal, lognormal and exponential
values come from numpy's own samplers), so files without dependencies keep their bytes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from services.generator.block import Block
from services.generator.columns import column_for, level_entries
from services.generator.copula import U_HIGH, U_LOW
from services.generator.normal import ndtri
from services.generator.quantiles import draw_quantiles
from services.schema import FloatField, IntField


def int_values(margin: IntField, u: np.ndarray) -> np.ndarray:
    """min + (max - min + 1) * u**skew, floored and capped at max; or the empirical table,
    rounded."""
    if margin.distribution == "empirical":
        return np.rint(draw_quantiles(margin.quantiles, u)).astype(np.int64)
    if margin.skew != 1.0:
        u = u**margin.skew
    span = float(margin.max) - float(margin.min) + 1.0
    return np.minimum(np.floor(margin.min + span * u), margin.max).astype(np.int64)


def float_values(margin: FloatField, u: np.ndarray) -> np.ndarray:
    """The inverse CDF of the margin's distribution at u (u strictly inside (0, 1))."""
    dist = margin.distribution
    if dist == "normal":
        return margin.param("mean") + margin.param("stddev") * ndtri(u)
    if dist == "lognormal":
        return np.exp(margin.param("mean") + margin.param("stddev") * ndtri(u))
    if dist == "exponential":
        return -np.log1p(-u) / margin.param("lambda")
    if dist == "empirical":
        return draw_quantiles(margin.quantiles, u)
    low = margin.param("min")
    return low + (margin.param("max") - low) * u


def per_level(field: IntField | FloatField, block: Block, u: np.ndarray, values_of,
              dtype: type) -> pa.Array:
    """Each row's value from the table entry of its level (and of the levels of the tables
    nested in it). A row whose level has no entry is null."""
    u = np.clip(u, U_LOW, U_HIGH)  # a row's own draw may be 0
    values = np.zeros(block.size, dtype=dtype)
    missing = np.zeros(block.size, dtype=bool)
    _fill(field, block, np.arange(block.size), u, values_of, values, missing)
    if isinstance(field, FloatField) and field.decimals is not None:
        values = np.round(values, field.decimals)
    return pa.array(values, mask=missing if missing.any() else None)


def _fill(field: IntField | FloatField, block: Block, rows: np.ndarray, u: np.ndarray,
          values_of, values: np.ndarray, missing: np.ndarray) -> None:
    """values[rows] from the field's table: rows grouped by entry with one stable sort, each
    group drawn at once, or filled from the entry's own table when it has one."""
    keys = [key for key, _ in field.conditional_table]
    top = len(rows) == block.size
    entry = level_entries(block, field.conditional_on, keys, None if top else rows)
    order = np.argsort(entry, kind="stable")
    bounds = np.searchsorted(entry[order], np.arange(len(keys) + 1))
    for i, (_, margin) in enumerate(field.conditional_table):
        group = rows[order[bounds[i]:bounds[i + 1]]]
        if not len(group):
            continue
        if margin.conditional_on:
            _fill(margin, block, group, u, values_of, values, missing)
        else:
            values[group] = values_of(margin, u[group])
    missing[rows[entry < 0]] = True


@column_for(IntField)
def int_column(field: IntField, block: Block) -> pa.Array:
    u = block.uniforms.get(field.name)
    if u is None:
        u = block.rng(field.name).random(block.size)
    if field.conditional_on:
        return per_level(field, block, u, int_values, np.int64)
    return pa.array(int_values(field, u))


@column_for(FloatField)
def float_column(field: FloatField, block: Block) -> pa.Array:
    u = block.uniforms.get(field.name)
    if field.conditional_on:
        if u is None:
            u = block.rng(field.name).random(block.size)
        return per_level(field, block, u, float_values, np.float64)
    values = float_values(field, u) if u is not None else _own_draws(field, block)
    if field.decimals is not None:
        values = np.round(values, field.decimals)
    return pa.array(values)


def _own_draws(field: FloatField, block: Block) -> np.ndarray:
    """The draws of a float in no block and without levels, as they always were."""
    rng, size = block.rng(field.name), block.size
    if field.distribution == "normal":
        return rng.normal(field.param("mean"), field.param("stddev"), size)
    if field.distribution == "lognormal":
        return rng.lognormal(field.param("mean"), field.param("stddev"), size)
    if field.distribution == "exponential":
        return rng.exponential(1.0 / field.param("lambda"), size)
    if field.distribution == "empirical":
        return draw_quantiles(field.quantiles, rng.random(size))
    return rng.uniform(field.param("min"), field.param("max"), size)

"""Column functions: one per field type, each making a whole block's values at once.

Each registers itself in `COLUMNS` with `column_for` (numbers.py holds int and float,
links.py the entity links); dispatch.py is where a field finds its function, and where a
registered field type without one fails at import.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import fixed_width_strings
from services.extracts import SECONDS
from services.generator.block import Block
from services.generator.datetimes import (
    epoch_seconds,
    rate_timeline,
    sample_seconds,
    slice_seconds,
    timed_seconds,
    uniform_seconds,
)
from services.generator.render import text
from services.schema import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    BoolField,
    CategoryField,
    Choice,
    DatetimeField,
    DerivedConcatField,
    DerivedMapField,
    FakerField,
    Field,
    GeoField,
    IdSequenceField,
    PatternPart,
    StringField,
    UuidField,
    text_of,
)

ColumnFn = Callable[[Field, Block], pa.Array]
COLUMNS: dict[type[Field], ColumnFn] = {}

ARROW_TYPES = {INTEGER: pa.int64(), FLOAT: pa.float64(), BOOLEAN: pa.bool_()}


def column_for(field_cls: type[Field]) -> Callable[[ColumnFn], ColumnFn]:
    def register(fn: ColumnFn) -> ColumnFn:
        COLUMNS[field_cls] = fn
        return fn

    return register


def typed_values(values: list | tuple, kind: str) -> pa.Array:
    """JSON scalars as an arrow array of the field's kind (text for mixed or string kinds)."""
    if kind in ARROW_TYPES:
        return pa.array(list(values), ARROW_TYPES[kind])
    return pa.array([None if v is None else text_of(v) for v in values], pa.string())


def _constant_values(values: tuple, kind: str) -> pa.Array:
    """typed_values for the fixed lists of a schema (choices, map values), built once."""
    # Typed keys: 1, 1.0 and True are equal in Python but render differently.
    return _typed_constant(tuple((type(v).__name__, v) for v in values), kind)


@lru_cache(maxsize=256)
def _typed_constant(typed: tuple, kind: str) -> pa.Array:
    return typed_values([v for _, v in typed], kind)


_HEX_PAIRS = np.array([ord(a) | ord(b) << 8 for a in "0123456789abcdef"
                       for b in "0123456789abcdef"], dtype="<u2")
_UUID_GROUPS = ((0, 0, 8), (9, 8, 12), (14, 12, 16), (19, 16, 20), (24, 20, 32))


@column_for(UuidField)
def uuid_column(field: Field, block: Block) -> pa.Array:
    raw = np.frombuffer(block.rng(field.name).bytes(16 * block.size), dtype=np.uint8)
    raw = raw.reshape(block.size, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = _HEX_PAIRS[raw].view(np.uint8).reshape(block.size, 32)
    out = np.full((block.size, 36), ord("-"), dtype=np.uint8)
    for to, start, end in _UUID_GROUPS:
        out[:, to:to + end - start] = digits[:, start:end]
    return fixed_width_strings(out)


@column_for(IdSequenceField)
def id_sequence_column(field: IdSequenceField, block: Block) -> pa.Array:
    rows = np.arange(block.start, block.start + block.size, dtype=np.int64)
    return pa.array(field.start + rows * field.step)


@column_for(BoolField)
def bool_column(field: BoolField, block: Block) -> pa.Array:
    return pa.array(block.rng(field.name).random(block.size) < field.p_true)


@lru_cache(maxsize=256)
def _choice_table(choices: tuple[Choice, ...]) -> np.ndarray:
    weights = np.array([c.weight for c in choices], dtype=np.float64)
    return np.cumsum(weights) / weights.sum()


def _pick(choices: tuple[Choice, ...], u: np.ndarray) -> np.ndarray:
    """Index of the choice each uniform draw falls in (inverse CDF of the weights)."""
    cumulative = _choice_table(choices)
    if len(choices) <= 16:  # a few vector comparisons beat a binary search per row
        picks = np.zeros(len(u), dtype=np.int64)
        for edge in cumulative[:-1]:
            picks += u >= edge
        return picks
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(choices) - 1)


def level_entries(block: Block, on: str, keys: list[str], rows: np.ndarray | None = None
                  ) -> np.ndarray:
    """For each row (of `rows`, or of the block), the index in `keys` of the text of its `on`
    value (as CSV writes it), else of '_default', else -1."""
    source_text = text(block.dataset.field(on), block.columns[on])
    if rows is not None:
        source_text = source_text.take(pa.array(rows))
    entry = pc.index_in(source_text, value_set=_constant_values(tuple(keys), "string"))
    fallback = keys.index("_default") if "_default" in keys else -1
    return pc.fill_null(entry, fallback).to_numpy(zero_copy_only=False)


@lru_cache(maxsize=256)
def _by_value(choices: tuple[Choice, ...]) -> tuple[np.ndarray, tuple[Choice, ...]]:
    """The choices in the order of their values: the positions, and the choices so ordered."""
    order = np.argsort([c.value for c in choices], kind="stable")
    return order, tuple(choices[i] for i in order)


def _pick_in(choices: tuple[Choice, ...], u: np.ndarray, ranked: bool) -> np.ndarray:
    """_pick; or, for a category of numbers whose u is a correlations block's, the inverse
    CDF of its values in their numeric order, so that its ranks follow u's."""
    if not ranked:
        return _pick(choices, u)
    order, ordered = _by_value(choices)
    return order[_pick(ordered, u)]


@column_for(CategoryField)
def category_column(field: CategoryField, block: Block) -> pa.Array:
    u = block.uniforms.get(field.name)
    ranked = u is not None
    if not ranked:
        u = block.rng(field.name).random(block.size)
    if not field.conditional_on:
        values = _constant_values(tuple(c.value for c in field.choices), field.value_kind)
        return values.take(pa.array(_pick_in(field.choices, u, ranked)))
    keys = [key for key, _ in field.conditional_table]
    tables = [choices for _, choices in field.conditional_table]
    entry = level_entries(block, field.conditional_on, keys)
    offsets = np.cumsum([0] + [len(t) for t in tables])
    picks = np.full(block.size, -1, dtype=np.int64)
    for i, choices in enumerate(tables):
        rows = entry == i
        if rows.any():
            picks[rows] = offsets[i] + _pick_in(choices, u[rows], ranked)
    values = _constant_values(tuple(c.value for t in tables for c in t), field.value_kind)
    return values.take(pa.array(picks, mask=picks < 0))


def _pattern_matrix(parts: tuple[PatternPart, ...], block: Block, name: str) -> np.ndarray:
    widths = [len(p.literal.encode()) if p.literal else (p.width or 1) for p in parts]
    out = np.empty((block.size, sum(widths)), dtype=np.uint8)
    rng = block.rng(name)
    col = 0
    for part, width in zip(parts, widths, strict=True):
        if part.literal:
            out[:, col:col + width] = np.frombuffer(part.literal.encode(), dtype=np.uint8)
        elif part.letters:
            base = ord("A") if part.letters == "upper" else ord("a")
            out[:, col] = base + rng.integers(0, 26, block.size, dtype=np.uint8)
        else:
            numbers = rng.integers(part.low, part.high + 1, block.size, dtype=np.int64)
            for digit in range(width - 1, -1, -1):
                out[:, col + digit] = ord("0") + numbers % 10
                numbers //= 10
        col += width
    return out


@column_for(StringField)
def string_column(field: StringField, block: Block) -> pa.Array:
    return fixed_width_strings(_pattern_matrix(field.parts, block, field.name))


@column_for(DatetimeField)
def datetime_column(field: DatetimeField, block: Block) -> pa.Array:
    window = block.dataset.time_window
    low, high = epoch_seconds(window.start), epoch_seconds(window.end)
    timeline = rate_timeline(block.dataset, field)  # its rate shapes its field's times only
    u = block.uniforms.get(field.name)  # in a correlations block: mode uniform
    cycle = block.dataset.lifecycle
    if cycle is not None and cycle.time_field == field.name:  # episodes' starts, in order
        seconds = slice_seconds(field, low, high, block.rng(field.name), block.size,
                                block.start, block.total, timeline)
    elif u is not None:
        seconds = (uniform_seconds(u, low, high) if timeline is None
                   else timed_seconds(u, low, high, timeline))
    else:
        seconds = sample_seconds(field, low, high, block.rng(field.name), block.size,
                                 block.start, block.total, timeline)
    return pa.Array.from_buffers(SECONDS, len(seconds), [None, pa.py_buffer(seconds)])


@column_for(GeoField)
def geo_column(field: GeoField, block: Block) -> pa.Array:
    rng = block.rng(field.name)
    lat0, lon0, lat1, lon1 = field.bbox
    lat = np.round(rng.uniform(lat0, lat1, block.size), field.precision)
    lon = np.round(rng.uniform(lon0, lon1, block.size), field.precision)
    return pa.StructArray.from_arrays([pa.array(lat), pa.array(lon)], names=["lat", "lon"])


@column_for(DerivedConcatField)
def concat_column(field: DerivedConcatField, block: Block) -> pa.Array:
    parts = [pc.fill_null(text(block.dataset.field(p), block.columns[p]), "")
             for p in field.parts]
    return pc.binary_join_element_wise(*parts, field.sep)


@column_for(DerivedMapField)
def map_column(field: DerivedMapField, block: Block) -> pa.Array:
    source = text(block.dataset.field(field.from_field), block.columns[field.from_field])
    keys = _constant_values(tuple(k for k, _ in field.map), "string")
    values = _constant_values((*(v for _, v in field.map), field.default), field.value_kind)
    entry = pc.fill_null(pc.index_in(source, value_set=keys), len(field.map))
    return values.take(entry)


@column_for(FakerField)
def faker_column(field: FakerField, block: Block) -> pa.Array:
    pool = block.pools[field.name]
    return pool.take(pa.array(block.rng(field.name).integers(0, len(pool), block.size)))

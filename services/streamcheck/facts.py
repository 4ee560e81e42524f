"""What each event adds to the windows: its group and its value, as the streaming job
computes them from the payload, column at a time.

The rules are the job's (services.spark.cleansing and the stream transforms): text is
trimmed of spaces and a blank group is UNKNOWN; a number is the trimmed text read as a
double, 0.0 when it is not one; a measure is its expression over those numbers, 0.0 where
it divides by zero; a retail line is total_price, else quantity x unit_price, rounded to
cents. Tests run both on the same events and compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.outputs import UNKNOWN
from services.schema import Dataset, Roles, normalise_name
from services.streamcheck.shape import StreamShape

NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
Text = pa.Array | pa.ChunkedArray


@dataclass(frozen=True)
class Facts:
    """Per event: its event time (ms; meaningless where `stamped`: the send time is used),
    its group and the value it adds."""

    time_ms: np.ndarray
    stamped: np.ndarray
    group: pa.Array
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.value)

    def take(self, rows: np.ndarray) -> Facts:
        return Facts(self.time_ms[rows], self.stamped[rows], self.group.take(rows),
                     self.value[rows])


def concat_facts(items: list[Facts]) -> Facts:
    if len(items) == 1:
        return items[0]
    return Facts(np.concatenate([f.time_ms for f in items]),
                 np.concatenate([f.stamped for f in items]),
                 pa.concat_arrays([f.group for f in items]),
                 np.concatenate([f.value for f in items]))


def round_half_up(values: np.ndarray, digits: int = 2) -> np.ndarray:
    """Spark's round(x, 2) of a double: half away from zero on the decimal the double prints
    as (2.675 -> 2.68), which a relative nudge of 1e-12 reproduces for printed decimals."""
    scale = 10.0 ** digits
    scaled = np.abs(values) * scale
    return np.sign(values) * np.floor(scaled * (1 + 1e-12) + 0.5) / scale


def _flat(column: Text) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def trimmed(column: Text) -> pa.Array:
    return pc.utf8_trim(_flat(column).cast(pa.string()), characters=" ")


def clean_text(column: Text | None, size: int) -> pa.Array:
    """Trimmed text; UNKNOWN where blank or missing."""
    if column is None:
        return pa.repeat(UNKNOWN, size)
    text = trimmed(column)
    blank = pc.fill_null(pc.equal(text, ""), True)
    return pc.if_else(blank, UNKNOWN, text)


def numbers(column: Text | None, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(value, is a number): the trimmed text read as a double, 0.0 where it is none."""
    if column is None:
        return np.zeros(size), np.zeros(size, dtype=bool)
    text = pc.utf8_trim_whitespace(_flat(column).cast(pa.string()))
    ok = pc.fill_null(pc.match_substring_regex(text, NUMBER), False)
    special = pc.fill_null(pc.is_in(pc.utf8_lower(text), pa.array(
        ["infinity", "+infinity", "-infinity", "nan"])), False)
    valid = pc.or_(ok, special)
    parsed = pc.if_else(valid, text, "0").cast(pa.float64())
    return parsed.to_numpy(zero_copy_only=False), valid.to_numpy(zero_copy_only=False)


def _by_name(columns: Mapping[str, Text]) -> dict[str, Text]:
    """Payload columns under the job's names (trimmed, lower case); the first one wins."""
    out: dict[str, Text] = {}
    for name, column in columns.items():
        out.setdefault(normalise_name(name), column)
    return out


def schema_facts(columns: Mapping[str, Text], size: int, dataset: Dataset,
                 shape: StreamShape) -> tuple[pa.Array, np.ndarray]:
    """(group, value) of schema events."""
    named = _by_name(columns)
    roles = Roles.of(dataset.analysis)
    group = clean_text(named.get(shape.group), size)
    if shape.counts_events:
        return group, np.ones(size)
    measure = next((m for m in roles.measures if m.name == shape.value), None)
    if measure is None:
        return group, numbers(named.get(shape.value), size)[0]
    inputs = {name: numbers(named.get(name), size)[0] for name in measure.inputs}

    def divide(a, b):
        a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))

    value = np.broadcast_to(np.asarray(measure.evaluate(inputs.__getitem__, divide),
                                       dtype=float), (size,))
    return group, np.where(np.isnan(value), 0.0, value)


def retail_facts(columns: Mapping[str, Text], size: int) -> tuple[pa.Array, np.ndarray]:
    """(product, line amount) of retail orders."""
    product = columns.get("product")
    item = columns.get("item")
    chosen = None
    if product is not None:
        text = trimmed(product)
        chosen = pc.if_else(pc.fill_null(pc.equal(text, ""), True),
                            _flat(item) if item is not None else pa.nulls(size, pa.string()),
                            text)
    elif item is not None:
        chosen = _flat(item)
    total, has_total = numbers(columns.get("total_price"), size)
    quantity, has_quantity = numbers(columns.get("quantity"), size)
    price, has_price = numbers(columns.get("unit_price"), size)
    amount = np.where(has_total, total,
                      np.where(has_quantity & has_price, quantity * price, 0.0))
    return clean_text(chosen, size), round_half_up(amount)


def event_facts(columns: Mapping[str, Text], size: int, time_ms: np.ndarray,
                stamped: np.ndarray, dataset: Dataset | None, shape: StreamShape) -> Facts:
    """The facts of `size` events from their payload's text columns (null = absent)."""
    if dataset is None:
        group, value = retail_facts(columns, size)
    else:
        group, value = schema_facts(columns, size, dataset, shape)
    return Facts(np.asarray(time_ms, dtype=np.int64), np.asarray(stamped, dtype=bool),
                 group.cast(pa.string()), np.asarray(value, dtype=float))

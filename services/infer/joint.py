"""Numbers together with what they depend on: first each int or float field's best
explaining category (levels.py), then the rank correlations between the numbers and the
evenly spread datetimes (correlations.py), read on each value's rank within its level
for a per-level number, since the level already carries what lies between levels."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.correlations import Ranked, correlation_blocks
from services.infer.detect import Column
from services.infer.levels import (
    LEVEL_MIN_ROWS,
    LEVEL_SHARE,
    Grouping,
    Labels,
    best_grouping,
    level_table,
    per_level_field,
)
from services.infer.ranks import rank_shares
from services.infer.samples import Text

RANK_ROWS = 200_000  # rows (every k-th) the levels and rank correlations are measured on
LABEL_TYPES = ("category", "bool", "derived_map", "lookup")
READING_KEYS = ("parts", "from_field", "conditional_on", "ref", "left", "right")


def numbers_of(column: Column, text: Text) -> np.ndarray | None:
    """The column's values as floats (NaN where empty), when it is a number or a time."""
    if column.type in ("int", "float"):
        return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    if column.type == "datetime" and column.times is not None:
        out = np.full(len(text), np.nan)
        out[pc.is_valid(text).to_numpy(zero_copy_only=False)] = column.times.seconds
        return out
    return None


def labels_of(column: Column, text: Text) -> Labels | None:
    """Each row's level as the generator writes it, for a column of labels; None for one
    whose written text may differ from the sample's (decimals, an "(other)" bucket is fine:
    its rare values fall to `_default` anyway)."""
    if column.type not in LABEL_TYPES:
        return None
    if column.type in ("bool", "lookup"):
        values = column.labels  # a lookup has them when its values are labels
        if values is None:
            return None
    else:
        if column.value_of and not all(isinstance(v, int) and not isinstance(v, bool)
                                       for v in column.value_of.values()):
            return None  # decimals: "2.50" in the sample is written 2.5
        values = text
    encoded = pc.dictionary_encode(values).combine_chunks()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return Labels(column.name, codes, [str(v) for v in encoded.dictionary.to_pylist()])


@dataclass
class Numbers:
    """What find_per_level measured of each number, for find_correlations: its values, the
    rank shares and tie factor among all of them, and its levels when it has them."""

    step: int = 1  # every step-th row was measured
    values: dict[str, np.ndarray] = field(default_factory=dict)
    ranks: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)
    groupings: dict[str, Grouping] = field(default_factory=dict)


def find_per_level(columns: list[Column], text: dict[str, Text], rows: int) -> Numbers:
    """Rewrite each int or float field that a category explains as a per-level field, moved
    just after the category when it came before it (and nothing reads it). Measured on every
    k-th row, at most RANK_ROWS of them: quantiles and correlations are as good there, and
    inference over a million rows stays within seconds."""
    step = max(1, -(-rows // RANK_ROWS))
    found = Numbers(step=step)
    rows = -(-rows // step)
    labels = [Labels(lab.name, lab.codes[::step], lab.keys) for c in columns
              if c.name in text and (lab := labels_of(c, text[c.name])) is not None]
    moved: dict[str, str] = {}  # a source -> the last number moved after it
    for column in [c for c in columns if c.type in ("int", "float")]:
        values = numbers_of(column, text[column.name])[::step]
        found.values[column.name] = values
        found.ranks[column.name] = rank_shares(values)
        shares = found.ranks[column.name][0]
        best = best_grouping(values, shares, labels, rows)
        if best is None:
            continue
        notes = [f"per level of {best.source}: its levels explain {best.eta2:.1%} of the "
                 f"ranks' variance (eta^2); levels under {LEVEL_SHARE:.0%} of the rows (or "
                 f"{LEVEL_MIN_ROWS} rows) share _default"]
        at, source_at = _index(columns, column.name), _index(columns, best.source)
        if source_at > at:
            if _read_by(column.name, columns):
                continue
            # after the source and the numbers moved there before it: the input order kept
            after = _index(columns, moved.get(best.source, best.source))
            columns.insert(after, columns.pop(at))
            moved[best.source] = column.name
            notes.append(f"placed after {best.source}, which it depends on")
        table = level_table(values, best, column.type == "int", column.field.get("decimals"))
        column.field = per_level_field(column.field, table, best.source)
        column.notes = notes  # the whole column's fit no longer applies
        found.groupings[column.name] = best
    return found


def find_correlations(columns: list[Column], text: dict[str, Text], numbers: Numbers
                      ) -> list[dict]:
    """The `correlations` blocks of the numbers and of the datetimes drawn evenly."""
    ranked = []
    for column in columns:
        if column.type == "datetime" and column.field.get("mode", "uniform") != "uniform":
            continue
        if column.name in numbers.ranks:
            values, (overall, ties) = numbers.values[column.name], numbers.ranks[column.name]
        else:
            values = numbers_of(column, text[column.name]) if column.name in text else None
            if values is None:
                continue
            values = values[::numbers.step]
            overall, ties = rank_shares(values)
        grouped = numbers.groupings.get(column.name)
        if grouped is None:
            ranked.append(Ranked(column.name, overall, ties))
        else:
            ranked.append(Ranked(column.name, *rank_shares(values, grouped.groups), overall))
    return correlation_blocks(ranked)


def _index(columns: list[Column], name: str) -> int:
    return next(i for i, c in enumerate(columns) if c.name == name)


def _read_by(name: str, columns: list[Column]) -> bool:
    for column in columns:
        for key in READING_KEYS:
            value = column.field.get(key)
            if value == name or (isinstance(value, list) and name in value):
                return True
    return False


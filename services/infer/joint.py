"""Numbers together with what they depend on: first each int or float field's best
explaining category, and within its levels another (levels.py), then the rank correlations
between the numbers, the categories of numbers (a year, a count of cylinders) and the
evenly spread datetimes (correlations.py), read on each value's rank within its level for a
per-level number, since the level already carries what lies between levels.

A category of numbers may be a number's (first) level, but does not split a level again:
within a level, what a year or a count does to a number is a trend the block carries in
one rank correlation, where a nested table would hold a distribution per value."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.correlations import Ranked, correlation_blocks
from services.infer.detect import Column, is_number_category
from services.infer.levels import (
    LEVEL_MIN_ROWS,
    LEVEL_SHARE,
    Grouping,
    Labels,
    best_grouping,
    level_table,
    nest,
    per_level_field,
)
from services.infer.ranks import rank_shares
from services.infer.samples import Text

RANK_ROWS = 200_000  # rows (every k-th) the levels and rank correlations are measured on
LABEL_TYPES = ("category", "bool", "derived_map", "lookup")
READING_KEYS = ("parts", "from_field", "conditional_on", "ref", "left", "right")


def numbers_of(column: Column, text: Text) -> np.ndarray | None:
    """The column's values as floats (NaN where empty), when it is a number, a category of
    numbers or a time."""
    if column.type in ("int", "float") or is_number_category(column):
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
    labels: dict[str, Labels] = field(default_factory=dict)  # each label's, every step-th row


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
    found.labels = {lab.name: lab for lab in labels}
    ordered = {c.name for c in columns if is_number_category(c)}  # these join blocks instead
    moved: dict[str, str] = {}  # a source -> the last number moved after it
    for column in [c for c in columns if c.type in ("int", "float")]:
        values = numbers_of(column, text[column.name])[::step]
        found.values[column.name] = values
        found.ranks[column.name] = rank_shares(values)
        at = _index(columns, column.name)
        candidates = labels if not _read_by(column.name, columns) else [
            lab for lab in labels if _index(columns, lab.name) < at]  # it cannot move
        best = best_grouping(values, found.ranks[column.name][0], candidates, rows)
        if best is None:
            continue
        best = nest(values, best, [lab for lab in candidates if lab.name not in ordered])
        notes = [f"per level of {best.source}: its levels explain {best.eta2:.1%} of the "
                 f"ranks' variance (eta^2); levels under {LEVEL_SHARE:.0%} of the rows (or "
                 f"{LEVEL_MIN_ROWS} rows) share _default"]
        if best.nested:
            notes.append(f"within {_count(len(best.nested), 'level')} of it, per level of "
                         f"{', '.join(best.sources[1:])} as well")
        last = max(best.sources, key=lambda name: _index(columns, name))
        if _index(columns, last) > at:
            # after the sources and the numbers moved there before it: the input order kept
            after = _index(columns, moved.get(last, last))
            columns.insert(after, columns.pop(at))
            moved[last] = column.name
            notes.append(f"placed after {last}, which it depends on")
        table = level_table(values, best, column.type == "int", column.field.get("decimals"))
        column.field = per_level_field(column.field, table, best.source)
        column.notes = notes  # the whole column's fit no longer applies
        found.groupings[column.name] = best
    return found


def find_correlations(columns: list[Column], text: dict[str, Text], numbers: Numbers
                      ) -> list[dict]:
    """The `correlations` blocks of the numbers, the datetimes drawn evenly and the lookups
    of numbers (an entity's attribute, ranked within the level its numbers are drawn per)."""
    ranked = []
    for column in columns:
        if column.type == "datetime" and column.field.get("mode", "uniform") != "uniform":
            continue
        if column.type == "lookup":
            if column.numeric and column.name in text:
                ranked.append(_lookup_ranked(column, columns, text, numbers))
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
            ranked.append(Ranked(column.name, *rank_shares(values, grouped.leaves()), overall,
                                 grouped.sources))
    return correlation_blocks(ranked)


def _lookup_ranked(column: Column, columns: list[Column], text: dict[str, Text],
                   numbers: Numbers) -> Ranked:
    """A lookup of numbers on the rank scale: within the levels of the lookup (through the
    same ref) that most of the numbers per level are drawn per first, else overall. The
    entity's fields (its ref and lookups) are what a number in its block may not otherwise
    be per level of: its u would lean with the entity's."""
    ref = column.field["ref"]
    of_entity = {ref} | {c.name for c in columns
                         if c.type == "lookup" and c.field["ref"] == ref}
    firsts = [g.source for g in numbers.groupings.values() if g.source in of_entity - {ref}]
    within = max(set(firsts), key=lambda name: (firsts.count(name), name)) if firsts else None
    values = pc.cast(text[column.name][::numbers.step], pa.float64()).to_numpy(
        zero_copy_only=False)
    labels = numbers.labels.get(within) if within is not None else None
    entity = (ref, *sorted(of_entity - {ref}))
    if labels is None:
        return Ranked(column.name, *rank_shares(values), entity=entity,
                      levels=np.zeros(len(values), np.int64))
    shares, ties = rank_shares(values, labels.codes)
    return Ranked(column.name, shares, ties, rank_shares(values)[0], entity=entity,
                  within=within, levels=labels.codes, level_keys=tuple(labels.keys))


def _index(columns: list[Column], name: str) -> int:
    return next(i for i, c in enumerate(columns) if c.name == name)


def _read_by(name: str, columns: list[Column]) -> bool:
    for column in columns:
        for key in READING_KEYS:
            value = column.field.get(key)
            if value == name or (isinstance(value, list) and name in value):
                return True
    return False


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")

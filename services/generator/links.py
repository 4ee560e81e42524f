"""Entity tables and the columns that read them: a ref draws entity rows (uniform, or
Zipf through the exact CDF of the ranks), a lookup gathers an attribute at those rows, a
comparison flags whether two columns' text agrees.

An entity table is made like any dataset, in blocks, from a seed derived from the run's
seed and the entity's name alone, so it is the same table in every process and run.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.generator.block import Block, field_key
from services.generator.columns import column_for
from services.generator.render import text
from services.schema import Entity
from services.schema.links import DerivedCompareField, LookupField, Popularity, RefField


def entity_seed(seed: int, name: str) -> int:
    """The seed of an entity's rows: (run seed, crc32 of 'entities.<name>') mixed into 63
    bits, so an entity field never shares a random stream with a main field of its name."""
    sequence = np.random.SeedSequence([seed, field_key(f"entities.{name}")])
    return int(sequence.generate_state(1, np.uint64)[0]) >> 1


class EntityTable:
    """An entity's rows, with the popularity CDFs its refs draw from (made once each)."""

    def __init__(self, entity: Entity, table: pa.Table):
        self.entity = entity
        self.table = table
        self._cdfs: dict[float, np.ndarray] = {}

    def cdf(self, s: float) -> np.ndarray:
        """P(rank <= k) for k = 1..count with weights 1 / k**s, as float64."""
        if s not in self._cdfs:
            weights = np.arange(1, self.entity.count + 1, dtype=np.float64) ** -s
            cumulative = np.cumsum(weights)
            self._cdfs[s] = cumulative / cumulative[-1]
        return self._cdfs[s]

    def draw(self, popularity: Popularity, rng: np.random.Generator, size: int) -> np.ndarray:
        """Entity row numbers, one per row; row 0 is the most popular under Zipf."""
        count = self.entity.count
        if popularity.kind == "uniform":
            return rng.integers(0, count, size, dtype=np.int64)
        rows = np.searchsorted(self.cdf(popularity.s), rng.random(size), side="right")
        return np.minimum(rows, count - 1).astype(np.int64, copy=False)


@column_for(RefField)
def ref_column(field: RefField, block: Block) -> pa.Array:
    entity = block.entities[field.entity]
    rows = entity.draw(field.popularity, block.rng(field.name), block.size)
    block.rows[field.name] = rows
    return entity.table.column(entity.entity.key).take(pa.array(rows)).combine_chunks()


@column_for(LookupField)
def lookup_column(field: LookupField, block: Block) -> pa.Array:
    ref = block.columns[field.ref]
    rows = block.rows[field.ref]
    mask = ref.is_null().to_numpy(zero_copy_only=False) if ref.null_count else None
    entity = block.entities[block.dataset.field(field.ref).entity]
    return entity.table.column(field.attribute).take(pa.array(rows, mask=mask)).combine_chunks()


@column_for(DerivedCompareField)
def compare_column(field: DerivedCompareField, block: Block) -> pa.Array:
    """The two fields' text (as CSV shows it) compared; null where either is null."""
    left = text(block.dataset.field(field.left), block.columns[field.left])
    right = text(block.dataset.field(field.right), block.columns[field.right])
    same = pc.equal(left, right)
    return same if field.op == "==" else pc.invert(same)

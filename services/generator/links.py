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
from services.schema import DerivedCompareField, Entity, LookupField, Popularity, RefField


def entity_seed(seed: int, name: str) -> int:
    """The seed of an entity's rows: (run seed, crc32 of 'entities.<name>') mixed into 63
    bits, so an entity field never shares a random stream with a main field of its name."""
    sequence = np.random.SeedSequence([seed, field_key(f"entities.{name}")])
    return int(sequence.generate_state(1, np.uint64)[0]) >> 1


GUIDE_PIECE = 1 << 20  # the guide is built this many slices at a time (bounded scratch memory)


class ZipfTable:
    """Ranks drawn by inverse CDF, exactly `searchsorted(cdf, u, side="right")` but faster
    on random draws: a guide of `count` equal slices of [0, 1) gives, for each slice, the
    few CDF entries a draw in it can land on, and a vectorised binary search runs over
    those only (a handful of steps unless the skew is extreme)."""

    def __init__(self, count: int, s: float):
        self.count = count
        self.cdf = np.arange(1, count + 1, dtype=np.float64)  # in place: one array of count
        np.power(self.cdf, -s, out=self.cdf)
        np.cumsum(self.cdf, out=self.cdf)
        self.cdf /= self.cdf[-1]
        self.guide = np.empty(count + 1, np.int32 if count < 2**31 else np.int64)
        for start in range(0, count + 1, GUIDE_PIECE):  # slice j is [j / count, ...)
            edges = np.arange(start, min(start + GUIDE_PIECE, count + 1)) / count
            self.guide[start:start + len(edges)] = np.searchsorted(self.cdf, edges, "right")
        widest = max((int(np.max(np.diff(self.guide[i:i + GUIDE_PIECE + 1])))
                      for i in range(0, count, GUIDE_PIECE)), default=0)
        self.steps = widest.bit_length()

    def ranks(self, u: np.ndarray) -> np.ndarray:
        """0-based ranks: the first index whose CDF exceeds each draw."""
        count = self.count
        slot = np.minimum((u * count).astype(np.int64), count - 1)
        slot -= u < slot / count  # the rounding of u * count moved it one slice up
        slot += u >= (slot + 1) / count  # or down
        low = self.guide[slot].astype(np.int64)
        high = self.guide[slot + 1].astype(np.int64)
        for _ in range(self.steps):
            active = low < high
            middle = (low + high) >> 1
            above = self.cdf[np.minimum(middle, count - 1)] <= u
            low = np.where(active & above, middle + 1, low)
            high = np.where(active & ~above, middle, high)
        return np.minimum(low, count - 1)


class EntityTable:
    """An entity's rows, with the Zipf tables its refs draw from (made once each)."""

    def __init__(self, entity: Entity, table: pa.Table):
        self.entity = entity
        self.table = table
        self._zipf: dict[float, ZipfTable] = {}
        self._slots: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._levels: dict[tuple, np.ndarray] = {}

    def zipf(self, s: float) -> ZipfTable:
        if s not in self._zipf:
            self._zipf[s] = ZipfTable(self.entity.count, s)
        return self._zipf[s]

    def weights(self, popularity: Popularity) -> np.ndarray:
        """Each row's chance of being picked under `popularity`."""
        if popularity.kind == "uniform":
            return np.full(self.entity.count, 1.0 / self.entity.count)
        return np.diff(self.zipf(popularity.s).cdf, prepend=0.0)

    def rank_slots(self, attribute: str, within: str | None, popularity: Popularity,
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the share of picks (under `popularity`) whose `attribute` is below this
        row's, within its level of `within`, and the share of those equal to it; a row whose
        attribute is empty spans all of [0, 1)."""
        key = (attribute, within, popularity)
        if key not in self._slots:
            levels = None
            if within is not None:
                encoded = pc.dictionary_encode(self.table.column(within)).combine_chunks()
                levels = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            values = pc.cast(self.table.column(attribute), pa.float64()).to_numpy(
                zero_copy_only=False)
            self._slots[key] = rank_slots(values, levels, self.weights(popularity))
        return self._slots[key]

    def level_index(self, within: LookupField, keys: tuple[str, ...]) -> np.ndarray:
        """Per row: the position in `keys` of its `within` attribute as CSV shows it (-1:
        none, or empty)."""
        key = (within.attribute, keys)
        if key not in self._levels:
            shown = text(within, self.table.column(within.attribute).combine_chunks())
            index = pc.index_in(shown, pa.array(keys, pa.string()))
            self._levels[key] = pc.fill_null(index, -1).to_numpy(zero_copy_only=False)
        return self._levels[key]

    def draw(self, popularity: Popularity, rng: np.random.Generator, size: int) -> np.ndarray:
        """Entity row numbers, one per row; row 0 is the most popular under Zipf."""
        if popularity.kind == "uniform":
            return rng.integers(0, self.entity.count, size, dtype=np.int64)
        return self.zipf(popularity.s).ranks(rng.random(size))


def rank_slots(values: np.ndarray, levels: np.ndarray | None, weights: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray]:
    """(low, width) per row: rows sorted by level, then value; equal values in a level share
    one slot; NaN values get (0, 1)."""
    levels = np.zeros(len(values), np.int64) if levels is None else levels.astype(np.int64)
    low, width = np.zeros(len(values)), np.ones(len(values))
    present = np.flatnonzero(~np.isnan(values))
    order = present[np.lexsort((values[present], levels[present]))]
    v, lev, w = values[order], levels[order], weights[order]
    if not len(order):
        return low, width
    new_level = np.r_[True, lev[1:] != lev[:-1]]
    new_slot = new_level | np.r_[True, v[1:] != v[:-1]]
    before = np.cumsum(w) - w  # picks of the rows sorted before each
    level_id, slot_id = np.cumsum(new_level) - 1, np.cumsum(new_slot) - 1
    level_total = np.bincount(level_id, w)[level_id]
    level_start = before[new_level][level_id]
    slot_start, slot_total = before[new_slot][slot_id], np.bincount(slot_id, w)[slot_id]
    low[order] = (slot_start - level_start) / level_total
    width[order] = slot_total / level_total
    return low, width


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

"""One block of rows: its position in the run and its own random streams.

Determinism contract: rows are made in blocks of BLOCK_SIZE; every random draw for a field
in a block comes from a generator seeded with (seed, block index, crc32 of the field name,
stream); the fields of a `correlations` block share one generator seeded with the block's
stream name (`Correlation.stream`) in place of a field name. A block's content therefore
depends only on the schema, the seed, the total row count and the block index, never on
which process makes it or in what order, so any worker count writes byte-identical files.
BLOCK_SIZE is part of that contract, not a tuning knob.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from services.schema import Dataset

BLOCK_SIZE = 65_536

VALUES, NULLS, RANKS = 0, 1, 2  # random streams per field (RANKS: a block's lookup)


def block_count(total: int) -> int:
    return -(-total // BLOCK_SIZE)


def field_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


@dataclass
class Block:
    dataset: Dataset
    seed: int
    index: int
    total: int
    pools: dict[str, pa.Array] = field(default_factory=dict)
    columns: dict[str, pa.Array] = field(default_factory=dict)
    entities: dict = field(default_factory=dict)  # entity name -> EntityTable
    rows: dict[str, np.ndarray] = field(default_factory=dict)  # ref field -> entity rows
    uniforms: dict[str, np.ndarray] = field(default_factory=dict)  # copula u per field

    @property
    def start(self) -> int:
        return self.index * BLOCK_SIZE

    @property
    def size(self) -> int:
        return max(0, min(BLOCK_SIZE, self.total - self.start))

    def rng(self, name: str, stream: int = VALUES) -> np.random.Generator:
        sequence = np.random.SeedSequence([self.seed, self.index, field_key(name), stream])
        return np.random.Generator(np.random.PCG64(sequence))

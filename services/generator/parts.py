"""A dataset as a folder of part files, block-aligned and named in block order.

Part k holds blocks [k * part_blocks, (k + 1) * part_blocks): the same blocks, encoded the
same way, as the single-process file, so the CSV parts concatenated in name order (each
part's header dropped but the first's) are that file byte for byte, and the Parquet parts
read in name order are its rows. Every CSV part keeps its header so it reads on its own
(Spark, pandas); with gzip the header is a gzip member of its own.

`write_part` is what a Spark task runs: it needs only the plan, the faker pools and entity
tables (made once by the driver and shipped, so every executor samples the very same
values) and a store. Entity tables are written once, by the driver, under `_entities/`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from services.common.stores import Store
from services.extracts import is_written
from services.generator.block import BLOCK_SIZE, block_count
from services.generator.encoders import encoder_for
from services.generator.engine import block_writer, make_block
from services.generator.links import EntityTable
from services.generator.ordering import ordered_blocks
from services.schema import Dataset

SUCCESS = "_SUCCESS"
_PART = re.compile(r"part-\d{5,}\..+")
DEFAULT_PART_BLOCKS = 16  # 1,048,576 rows a part: ~165 MB of card CSV, ~950 a billion rows


@dataclass(frozen=True)
class PartPlan:
    dataset: Dataset
    seed: int
    part_blocks: int = DEFAULT_PART_BLOCKS
    cdc: bool = False  # parts of the change stream, and of the final table in _final/
    cdc_gzip: bool = False  # the change parts gzipped (the table's gzip: the dataset's)

    def __post_init__(self) -> None:
        """The run's seed in the dataset too: an Avro part's sync marker is made from it."""
        object.__setattr__(self, "dataset", self.dataset.with_overrides(seed=self.seed))

    @property
    def total(self) -> int:
        return self.dataset.entity_count

    @property
    def parts(self) -> int:
        """At least one part, so an empty run still writes its header (CSV)."""
        return max(1, -(-block_count(self.total) // self.part_blocks))

    def blocks_of(self, part: int) -> range:
        first = part * self.part_blocks
        return range(first, min(first + self.part_blocks, block_count(self.total)))

    def name(self, part: int, table: bool = False) -> str:
        """part-00000.csv.gz ...: zero-padded so name order is block order; a --cdc run's
        change parts are .jsonl[.gz] (`table`: its final table's parts, of the dataset's
        format)."""
        width = max(5, len(str(self.parts - 1)))
        suffix = self.dataset.output.suffix
        if self.cdc and not table:
            suffix = ".jsonl.gz" if self.cdc_gzip else ".jsonl"
        return f"part-{part:0{width}d}{suffix}"


def is_parts_folder(path: Path) -> bool:
    """Whether `path` is a folder of part files as the Spark engine writes them: part files
    (`PartPlan.name`), and besides them only `_SUCCESS`, `_entities/` or hidden names."""
    if not path.is_dir() or path.is_symlink():
        return False
    names = [p.name for p in path.iterdir()]
    parts = [n for n in names if _PART.fullmatch(n) and is_written(n)]
    others = [n for n in names if n not in parts and not n.startswith((".", "_"))]
    return bool(parts) and not others


@dataclass(frozen=True)
class PartWritten:
    name: str
    rows: int
    made: int = -1  # what the plan's total counts (lifecycles started), when not rows

    @property
    def counted(self) -> int:
        return self.rows if self.made < 0 else self.made


def write_part(plan: PartPlan, pools: dict[str, pa.Array],
               entities: Mapping[str, EntityTable], store: Store, folder: str,
               part: int) -> PartWritten:
    """Make the part's blocks in order and write them to `folder`/name (complete or not at
    all: the store writes under a hidden name and renames). Encoding and the upload run in a
    thread beside block making, as in the single process."""
    if plan.cdc:
        from services.generator.change_output import write_change_part

        return write_change_part(plan, pools, entities, store, folder, part)
    encoder = encoder_for(plan.dataset)
    name = plan.name(part)
    rows = 0
    with store.create(f"{folder}/{name}") as out, encoder.stream(out) as sink:
        writer = block_writer(sink, encoder.encode)
        try:
            for block in _blocks(plan, pools, entities, part):
                writer.write(block)
                rows += block.size
        finally:
            writer.close()
    if plan.dataset.lifecycle is None:
        return PartWritten(name, rows)
    blocks = plan.blocks_of(part)
    return PartWritten(name, rows, min(plan.total, blocks.stop * BLOCK_SIZE)
                       - min(plan.total, blocks.start * BLOCK_SIZE))


def _blocks(plan: PartPlan, pools: dict[str, pa.Array], entities: Mapping[str, EntityTable],
            part: int):
    """The part's blocks; a lifecycle's in time order, its carry into the part's first
    block made again from the earlier blocks that reach it (ordering.py)."""
    blocks = plan.blocks_of(part)
    if plan.dataset.lifecycle is not None:
        yield from ordered_blocks(plan.dataset, plan.seed, pools, entities, blocks.start,
                                  blocks.stop)
        return
    for index in blocks:
        yield make_block(plan.dataset, plan.seed, plan.total, index, pools, entities)

"""Lifecycle rows in time order across blocks, with bounded memory, the same for any worker
count and for the Spark engine's parts.

Block k's episodes start at or after b[k], the start-time quantile at k x BLOCK_SIZE / N
(datetimes.quantile_seconds; its starts are the slice up to b[k + 1]), and its rows end at
most `horizon` seconds after their start (Lifecycle.horizon: max_steps x max_delay). The
merge rule: after block k is made, the rows carried from earlier blocks and block k's rows
are sorted by time (stable: earlier blocks first, then each block's own order), and those
before b[k + 1] are written; the rest are carried. No later block has a row before b[k + 1],
so the output is sorted by (time, block, row in block): one total order, whoever makes it.

Memory: the carried rows are those of episodes started in the `horizon` seconds before a
boundary, at most rate x horizon x (rows per episode); the schema cannot leave the horizon
unbounded (max_delay is required, max_steps defaults to 100). A part starting at block j
recomputes its carry from the first block whose episodes can reach b[j] (`first_needed`),
discarding what those write.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from services.common.files import atomic_path, scratch_folder
from services.generator.block import BLOCK_SIZE, block_count
from services.generator.datetimes import epoch_seconds, quantile_seconds, rate_timeline
from services.generator.encoders import encoder_for
from services.generator.engine import (
    WORKER,
    Progress,
    WriteResult,
    block_writer,
    entity_tables,
    worker_results,
    write_entities,
)
from services.generator.fakers import faker_pools
from services.generator.lifecycle import SizedBlock, episode_rows
from services.generator.links import EntityTable
from services.schema import Dataset

NEVER = np.iinfo(np.int64).max


def boundaries(dataset: Dataset, total: int) -> np.ndarray:
    """b[k] for each block, then NEVER: the earliest second block k's episodes start at."""
    field = dataset.field(dataset.lifecycle.time_field)
    window = dataset.time_window
    fractions = np.arange(block_count(total), dtype=np.float64) * BLOCK_SIZE / max(total, 1)
    bounds = quantile_seconds(field, epoch_seconds(window.start), epoch_seconds(window.end),
                              fractions, rate_timeline(dataset, field))
    return np.append(bounds, NEVER)


def first_needed(bounds: np.ndarray, horizon: int, block: int) -> int:
    """The first block whose rows can reach b[block]: block i ends by b[i + 1] + horizon."""
    reach = bounds[1:block + 1] + horizon
    return int(np.searchsorted(reach, bounds[block], side="left"))


def merged(made: Iterable[tuple[int, pa.Table, np.ndarray]], bounds: np.ndarray,
           first: int) -> Iterator[tuple[int, pa.Table]]:
    """(block, rows it writes) for each block from `first` on, from `made`: (block, rows,
    seconds) in block order from first_needed(first) on, each block's rows in its order."""
    carry: pa.Table | None = None
    carried = np.empty(0, dtype=np.int64)
    for index, table, seconds in made:
        if carry is not None:
            table = pa.concat_tables([carry, table])
            seconds = np.concatenate([carried, seconds])
        order = np.argsort(seconds, kind="stable")
        cut = int(np.searchsorted(seconds[order], bounds[index + 1], side="left"))
        carry, carried = table.take(pa.array(order[cut:])), seconds[order[cut:]]
        if index >= first:
            yield index, table.take(pa.array(order[:cut]))


def as_block(dataset: Dataset, index: int, table: pa.Table) -> SizedBlock:
    """Rows to write as a block for the encoders (block `index` writes them)."""
    block = SizedBlock(dataset, 0, index, 0, made=table.num_rows)
    block.columns = {name: table.column(name).combine_chunks() for name in table.column_names}
    return block


def ordered_blocks(dataset: Dataset, seed: int, pools: dict[str, pa.Array],
                   entities: Mapping[str, EntityTable], first: int = 0, stop: int | None = None,
                   made: Iterable[tuple[int, pa.Table, np.ndarray]] | None = None,
                   ) -> Iterator[SizedBlock]:
    """What blocks first .. stop - 1 write, in order; `made` gives the blocks' rows from
    first_needed(first) on (made here when not given)."""
    total = dataset.entity_count
    bounds = boundaries(dataset, total)
    stop = block_count(total) if stop is None else stop
    if made is None:
        start = first_needed(bounds, dataset.lifecycle.horizon, first)
        made = ((k, *episode_rows(dataset, seed, total, k, pools, entities))
                for k in range(start, stop))
    for index, table in merged(made, bounds, first):
        for offset in range(0, max(table.num_rows, 1), BLOCK_SIZE):  # encoded a slice at a
            yield as_block(dataset, index, table.slice(offset, BLOCK_SIZE))  # time: less RAM


def _worker_episodes(index: int) -> tuple[pa.Table, np.ndarray]:
    w = WORKER
    return episode_rows(w["dataset"], w["seed"], w["total"], index, w["pools"], w["entities"])


def write_lifecycle(dataset: Dataset, path: Path, seed: int, *, workers: int = 1,
                    progress: Progress | None = None) -> WriteResult:
    """write_dataset for a lifecycle: workers make the blocks' episodes, this process
    merges them into time order and encodes."""
    started, total = time.perf_counter(), dataset.entity_count
    entities, pools = entity_tables(dataset, seed), faker_pools(dataset, seed)
    encoder, rows = encoder_for(dataset), 0
    with atomic_path(path) as temp, encoder.open(temp) as sink, \
            scratch_folder(path) as scratch:
        made = None
        if workers > 1 and block_count(total) > 1:
            results = worker_results(dataset, seed, total, workers, entities, scratch,
                                     _worker_episodes)
            made = ((k, table, seconds) for k, (table, seconds) in results)
        writer = block_writer(sink, encoder.encode)
        try:
            last = -1
            for block in ordered_blocks(dataset, seed, pools, entities, made=made):
                writer.write(block)
                rows += block.size
                if progress and block.index != last:
                    progress(min(BLOCK_SIZE, total - block.index * BLOCK_SIZE))
                last = block.index
        finally:
            writer.close()
    written = write_entities(dataset, path, entities)
    return WriteResult(rows, path, path.stat().st_size, time.perf_counter() - started,
                       written)

"""Writing --cdc: the change stream as JSON Lines and, beside it, the expected final table.

The changes (services.generator.changes: typed columns, each change's before and after rows)
are merged into time order as lifecycle rows are (ordering.merged: same boundaries, same
carry, so memory is bounded as theirs is, the carry holding twice a row's typed columns
per change, not its text), then turned into lines a slice of at most BLOCK_SIZE at a time
(change_lines), each slice its own gzip member when gzipped: the bytes are the same for any
worker count and for the Spark engine's parts (part k's lines are those of its blocks'
merge steps).

The final table holds every episode's row as its last change left it (deleted rows absent),
in the run's format, in block order and each block's episodes in start order; it is what
applying the change stream in order to an empty table gives. Named `_final/<name><suffix>`
beside the change file `<name>.changes.jsonl[.gz]` (the `_` keeps it out of the replay
producer's and the batch job's reading of the folder).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from services.common.arrow import values_bytes
from services.common.files import atomic_path, scratch_folder
from services.common.stores import Store
from services.generator.block import BLOCK_SIZE, block_count
from services.generator.changes import block_changes, change_lines
from services.generator.encoders import encoder_for, gzip_member
from services.generator.engine import WORKER, Progress, entity_tables, worker_results
from services.generator.fakers import faker_pools
from services.generator.links import EntityTable
from services.generator.ordering import as_block, boundaries, first_needed, merged
from services.generator.parts import PartPlan, PartWritten
from services.schema import Dataset

CHANGES_SUFFIX = ".changes.jsonl"
FINAL_FOLDER = "_final"

Made = Iterable[tuple[int, pa.Table, np.ndarray, pa.Table]]


@dataclass(frozen=True)
class ChangesWritten:
    changes: int  # envelopes written
    path: Path
    final_rows: int
    final_path: Path
    seconds: float


def encode_lines(lines: pa.Array, gzip: bool) -> bytes | pa.Buffer:
    if not len(lines):
        return b""
    body = values_bytes(lines)
    return gzip_member(body) if gzip else body


def ordered_lines(dataset: Dataset, seed: int, pools: dict[str, pa.Array],
                  entities: Mapping[str, EntityTable], first: int = 0,
                  stop: int | None = None, made: Made | None = None,
                  final: Callable[[int, pa.Table], None] | None = None,
                  ) -> Iterator[pa.Array]:
    """The envelopes blocks first .. stop - 1 write, in slices; `final(block, rows)` gets
    each of those blocks' final rows as it is made. `made` as in ordering.ordered_blocks,
    with the final rows added."""
    total = dataset.entity_count
    bounds = boundaries(dataset, total)
    stop = block_count(total) if stop is None else stop
    if made is None:
        start = first_needed(bounds, dataset.lifecycle.horizon, first)
        made = ((k, *block_changes(dataset, seed, total, k, pools, entities))
                for k in range(start, stop))

    def envelopes():
        for index, lines, seconds, rows in made:
            if final is not None and index >= first:
                final(index, rows)
            yield index, lines, seconds

    for _, written in merged(envelopes(), bounds, first):
        yield from change_lines(dataset, written)


def _worker_changes(index: int) -> tuple[pa.Table, np.ndarray, pa.Table]:
    w = WORKER
    return block_changes(w["dataset"], w["seed"], w["total"], index, w["pools"],
                         w["entities"])


def write_changes(dataset: Dataset, path: Path, final_path: Path, gzip: bool, seed: int, *,
                  workers: int = 1, progress: Progress | None = None) -> ChangesWritten:
    """The change file at `path` (gzip members when `gzip`) and the final table at
    `final_path` in the dataset's format, both atomically; workers make the blocks'
    envelopes, this process merges and writes."""
    started, total = time.perf_counter(), dataset.entity_count
    dataset = dataset.with_overrides(seed=seed)
    entities, pools = entity_tables(dataset, seed), faker_pools(dataset, seed)
    encoder, counts = encoder_for(dataset), [0, 0]
    final_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp, open(temp, "wb") as sink, \
            atomic_path(final_path) as final_temp, encoder.open(final_temp) as table_sink, \
            scratch_folder(path) as scratch:

        def final(index: int, rows: pa.Table) -> None:
            table_sink.write(encoder.encode(as_block(dataset, index, rows)))
            counts[1] += rows.num_rows
            if progress:
                progress(min(BLOCK_SIZE, total - index * BLOCK_SIZE))

        made = None
        if workers > 1 and block_count(total) > 1:
            made = ((k, *result) for k, result in worker_results(
                dataset, seed, total, workers, entities, scratch, _worker_changes))
        for lines in ordered_lines(dataset, seed, pools, entities, made=made, final=final):
            sink.write(encode_lines(lines, gzip))
            counts[0] += len(lines)
    return ChangesWritten(counts[0], path, counts[1], final_path,
                          time.perf_counter() - started)


def write_change_part(plan: PartPlan, pools: dict[str, pa.Array],
                      entities: Mapping[str, EntityTable], store: Store, folder: str,
                      part: int) -> PartWritten:
    """parts.write_part for --cdc: the part's envelopes, and its blocks' final rows as the
    part of the same number in `_final/` (each CSV part with its header, as any part)."""
    blocks, encoder = plan.blocks_of(part), encoder_for(plan.dataset)
    name, rows = plan.name(part), 0
    store.makedirs(f"{folder}/{FINAL_FOLDER}")
    with store.create(f"{folder}/{name}") as out, \
            store.create(f"{folder}/{FINAL_FOLDER}/{plan.name(part, table=True)}") as table, \
            encoder.stream(table) as table_sink:

        def final(index: int, made: pa.Table) -> None:
            table_sink.write(encoder.encode(as_block(plan.dataset, index, made)))

        for lines in ordered_lines(plan.dataset, plan.seed, pools, entities, blocks.start,
                                   blocks.stop, final=final):
            out.write(encode_lines(lines, plan.cdc_gzip))
            rows += len(lines)
    return PartWritten(name, rows, min(plan.total, blocks.stop * BLOCK_SIZE)
                       - min(plan.total, blocks.start * BLOCK_SIZE))

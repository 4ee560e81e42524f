"""Run a dataset: make blocks in order (in this process or in workers) and write one file.

Memory stays flat: at most a few blocks are alive at once, whatever the row count.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa

from services.common.arrow import with_nulls
from services.common.files import atomic_path, scratch_folder
from services.common.writer import BoundedWriter
from services.extracts import ENTITY_FOLDER
from services.generator.block import BLOCK_SIZE, NULLS, Block, block_count
from services.generator.copula import copula_uniforms
from services.generator.encoders import Encoder, encoder_for
from services.generator.fakers import faker_pools
from services.generator.links import EntityTable, entity_seed
from services.generator.timeline import field_order, timed_column
from services.schema import Dataset

__all__ = ["BLOCK_SIZE", "WriteResult", "generate_blocks", "generate_table", "write_dataset"]

Progress = Callable[[int], None]


def make_block(dataset: Dataset, seed: int, total: int, index: int,
               pools: dict[str, pa.Array],
               entities: Mapping[str, EntityTable] | None = None) -> Block:
    """Fill every column of one block, in declaration order (derived fields read earlier;
    the timeline's time field first when drifts or anomalies read it)."""
    block = Block(dataset, seed, index, total, pools, entities=dict(entities or {}))
    block.uniforms = copula_uniforms(dataset.correlations, block)
    for field in field_order(dataset):
        values = timed_column(field, block)
        if field.null_prob > 0:
            mask = block.rng(field.name, stream=NULLS).random(block.size) < field.null_prob
            values = with_nulls(values, mask)
        block.columns[field.name] = values
        block.uniforms.update(copula_uniforms(dataset.correlations, block, after=field.name))
    if dataset.timeline is not None:  # as declared, whatever order they were drawn in
        block.columns = {f.name: block.columns[f.name] for f in dataset.fields}
    return block


def entity_tables(dataset: Dataset, seed: int) -> dict[str, EntityTable]:
    """Every entity's rows, from the run's seed alone, in dependency order (an entity's refs
    read the tables made before it). Blocks as for the main rows, so the same everywhere."""
    tables: dict[str, EntityTable] = {}
    for entity in dataset.entities:
        sub, sub_seed = dataset.entity_dataset(entity), entity_seed(seed, entity.name)
        pools = faker_pools(sub, sub_seed)
        pieces: dict[str, list[pa.Array]] = {f.name: [] for f in sub.fields}
        for index in range(block_count(entity.count)):
            block = make_block(sub, sub_seed, entity.count, index, pools, tables)
            for name, values in block.columns.items():
                pieces[name].append(values)
        # one column at a time, its pieces freed as it is joined: the table is not doubled
        columns = {name: pa.concat_arrays(pieces.pop(name)) for name in list(pieces)}
        tables[entity.name] = EntityTable(entity, pa.table(columns))
    return tables


def generate_blocks(dataset: Dataset, seed: int, total: int | None = None,
                    entities: Mapping[str, EntityTable] | None = None) -> Iterator[Block]:
    """The blocks in order; `entities` (made from this seed when not given) lets a caller
    keep one set of entity tables across runs with other seeds (the live producer)."""
    total = dataset.entity_count if total is None else total
    entities = entity_tables(dataset, seed) if entities is None else entities
    pools = faker_pools(dataset, seed)
    for index in range(block_count(total)):
        yield make_block(dataset, seed, total, index, pools, entities)


def generate_table(dataset: Dataset, seed: int, total: int | None = None,
                   entities: Mapping[str, EntityTable] | None = None) -> pa.Table:
    """All rows as one arrow table in logical types (for tests, small runs and the live
    producer's windows, which keep one set of `entities` across seeds); a lifecycle's rows
    in time order."""
    if dataset.lifecycle is not None:
        from services.generator.ordering import ordered_blocks

        ds = dataset if total is None else replace(dataset, entity_count=total)
        entities = entity_tables(ds, seed) if entities is None else entities
        made = ordered_blocks(ds, seed, faker_pools(ds, seed), entities)
        blocks = [pa.table(b.columns) for b in made]
    else:
        blocks = [pa.table(b.columns)
                  for b in generate_blocks(dataset, seed, total, entities)]
    if not blocks:
        return pa.table({f.name: pa.array([], pa.null()) for f in dataset.fields})
    return pa.concat_tables(blocks)


# --- workers: each process builds its own faker pools once, then encodes blocks by index ---

WORKER: dict = {}  # this worker process's run: set by the pool's initializer, read by its tasks


def _worker_init(dataset: Dataset, seed: int, total: int, encoder: Encoder | None,
                 entity_files: dict[str, str]) -> None:
    """Entity tables come memory-mapped from the files the parent wrote: one copy in RAM.
    Ctrl-C, which a terminal sends the whole process group, is the parent's to answer: it
    cancels what is queued and the workers end with the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    entities = {e.name: EntityTable(e, pa.ipc.open_file(pa.memory_map(entity_files[e.name]))
                                    .read_all()) for e in dataset.entities}
    WORKER.update(dataset=dataset, seed=seed, total=total, encoder=encoder,
                   pools=faker_pools(dataset, seed), entities=entities)


def _exit_with_parent() -> None:
    """A worker ends when its parent does, even one killed by SIGKILL: nothing else would
    tell it (the pool's queues keep their pipes open in every worker)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(1)


def _worker_encode(index: int) -> bytes | pa.Table:
    w = WORKER
    block = make_block(w["dataset"], w["seed"], w["total"], index, w["pools"], w["entities"])
    encoded = w["encoder"].encode(block)
    return encoded if isinstance(encoded, pa.Table) else bytes(encoded)


def _worker_blocks(dataset: Dataset, seed: int, total: int, encoder: Encoder, workers: int,
                   entities: Mapping[str, EntityTable], scratch: Path,
                   ) -> Iterator[tuple[int, bytes | pa.Table]]:
    """Encoded blocks in order from a process pool: (rows, encoded block)."""
    for index, encoded in worker_results(dataset, seed, total, workers, entities, scratch,
                                         _worker_encode, encoder):
        yield min(BLOCK_SIZE, total - index * BLOCK_SIZE), encoded


def worker_results(dataset: Dataset, seed: int, total: int, workers: int,
                   entities: Mapping[str, EntityTable], scratch: Path,
                   task: Callable[[int], object], encoder: Encoder | None = None,
                   ) -> Iterator[tuple[int, object]]:
    """(block index, task(index)) in block order from a process pool, at most 2 per worker
    in flight; `task` reads the worker's state (WORKER)."""
    count = block_count(total)
    context = multiprocessing.get_context("spawn")
    entity_files = {}
    for name, entity in entities.items():
        entity_files[name] = str(scratch / f"{name}.arrow")
        with pa.ipc.new_file(entity_files[name], entity.table.schema) as out:
            out.write_table(entity.table)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                             initargs=(dataset, seed, total, encoder, entity_files)) as pool:
        pending: deque[tuple[int, Future]] = deque()
        next_index = 0
        try:
            while next_index < count or pending:
                while next_index < count and len(pending) < 2 * workers:
                    pending.append((next_index, pool.submit(task, next_index)))
                    next_index += 1
                index, future = pending.popleft()
                yield index, future.result()
        except BaseException:  # an interrupt or an error: the queued blocks are not wanted
            pool.shutdown(cancel_futures=True)
            raise


def block_writer(sink, encode: Callable | None = None) -> BoundedWriter:
    """Appends blocks to `sink` from a thread (encoding them there when given `encode`), so
    encoding and disk writes overlap generation; arrow and file writes release the GIL."""

    def consume(items: Iterator) -> None:
        for item in items:
            sink.write(encode(item) if encode else item)

    return BoundedWriter(consume, depth=3, name="block-writer")


@dataclass(frozen=True)
class WriteResult:
    rows: int
    path: Path
    bytes: int
    seconds: float
    entities: tuple[WriteResult, ...] = ()  # the entity tables written beside it




def entity_path(path: Path, dataset: Dataset, name: str) -> Path:
    """`<folder>/_entities/<stem>.<entity><suffix>` for the main output `path`."""
    suffix = dataset.output.suffix
    stem = path.name[:-len(suffix)] if path.name.endswith(suffix) else path.stem
    return path.parent / ENTITY_FOLDER / f"{stem}.{name}{suffix}"


def write_entities(dataset: Dataset, path: Path, tables: Mapping[str, EntityTable],
                   ) -> tuple[WriteResult, ...]:
    """Each entity table beside the main output `path`, in its format, block by block."""
    results = []
    for name, entity in tables.items():
        started, target = time.perf_counter(), entity_path(path, dataset, name)
        encoder = encoder_for(dataset.entity_dataset(entity.entity))
        with atomic_path(target) as temp, encoder.open(temp) as sink:
            for block in entity_blocks(dataset, entity):
                sink.write(encoder.encode(block))
        results.append(WriteResult(entity.table.num_rows, target, target.stat().st_size,
                                   time.perf_counter() - started))
    return tuple(results)


def entity_blocks(dataset: Dataset, entity: EntityTable) -> Iterator[Block]:
    """An entity table as blocks of its own dataset, for its encoder."""
    sub, table = dataset.entity_dataset(entity.entity), entity.table
    for index in range(block_count(table.num_rows)):
        block = Block(sub, 0, index, table.num_rows)
        block.columns = {f.name: table.column(f.name).slice(block.start, block.size)
                         .combine_chunks() for f in sub.fields}
        yield block


def write_dataset(dataset: Dataset, path: Path, seed: int, *, workers: int = 1,
                  progress: Progress | None = None) -> WriteResult:
    """Write all rows to `path` atomically (a hidden temporary file renamed at the end),
    and the entity tables beside it."""
    dataset = dataset.with_overrides(seed=seed)  # an Avro file's sync marker reads it
    if dataset.lifecycle is not None:  # rows in time order across blocks: ordering.py
        from services.generator.ordering import write_lifecycle

        return write_lifecycle(dataset, path, seed, workers=workers, progress=progress)
    started = time.perf_counter()
    total = dataset.entity_count
    entities = entity_tables(dataset, seed)
    encoder = encoder_for(dataset)
    with atomic_path(path) as temp, encoder.open(temp) as sink, \
            scratch_folder(path) as scratch:
        if workers > 1 and block_count(total) > 1:
            items = _worker_blocks(dataset, seed, total, encoder, workers, entities, scratch)
            writer = block_writer(sink)
        else:
            items = ((b.size, b) for b in generate_blocks(dataset, seed, total, entities))
            writer = block_writer(sink, encoder.encode)
        try:
            for rows, item in items:
                writer.write(item)
                if progress:
                    progress(rows)
        finally:
            items.close()  # on an interrupt: the workers' queued blocks are cancelled now
            writer.close()
    written = write_entities(dataset, path, entities)
    return WriteResult(total, path, path.stat().st_size, time.perf_counter() - started,
                       written)

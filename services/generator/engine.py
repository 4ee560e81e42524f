"""Run a dataset: make blocks in order (in this process or in workers) and write one file.

Memory stays flat: at most a few blocks are alive at once, whatever the row count.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from services.generator.arrow_util import with_nulls
from services.generator.block import BLOCK_SIZE, NULLS, Block, block_count
from services.generator.datetimes import epoch_seconds, hour_slots
from services.generator.dispatch import column
from services.generator.encoders import Encoder, encoder_for
from services.generator.faker_pools import faker_pools
from services.generator.links import EntityTable, entity_seed
from services.schema import Dataset, Problem, SchemaError
from services.schema.fields import DatetimeField

__all__ = ["BLOCK_SIZE", "WriteResult", "generate_blocks", "generate_table", "write_dataset"]

Progress = Callable[[int], None]


def check_runnable(dataset: Dataset) -> None:
    """Problems only visible against the time window, found before anything is written."""
    problems = []
    window = dataset.time_window
    lists = [("schema.fields", dataset.fields)]
    lists += [(f"entities.{e.name}.fields", e.fields) for e in dataset.entities]
    for where, fields in lists:
        for index, field in enumerate(fields):
            if isinstance(field, DatetimeField) and field.mode == "seasonality":
                try:
                    hour_slots(field.profile, epoch_seconds(window.start),
                               epoch_seconds(window.end))
                except ValueError as exc:
                    problems.append(Problem(f"{where}[{index}].profile", str(exc)))
    if problems:
        raise SchemaError(problems, dataset.source)


def make_block(dataset: Dataset, seed: int, total: int, index: int,
               pools: dict[str, pa.Array],
               entities: Mapping[str, EntityTable] | None = None) -> Block:
    """Fill every column of one block, in declaration order (derived fields read earlier)."""
    block = Block(dataset, seed, index, total, pools, entities=dict(entities or {}))
    for field in dataset.fields:
        values = column(field, block)
        if field.null_prob > 0:
            mask = block.rng(field.name, stream=NULLS).random(block.size) < field.null_prob
            values = with_nulls(values, mask)
        block.columns[field.name] = values
    return block


def entity_tables(dataset: Dataset, seed: int) -> dict[str, EntityTable]:
    """Every entity's rows, from the run's seed alone, in dependency order (an entity's refs
    read the tables made before it). Blocks as for the main rows, so the same everywhere."""
    check_runnable(dataset)
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
    check_runnable(dataset)
    entities = entity_tables(dataset, seed) if entities is None else entities
    pools = faker_pools(dataset, seed)
    for index in range(block_count(total)):
        yield make_block(dataset, seed, total, index, pools, entities)


def generate_table(dataset: Dataset, seed: int, total: int | None = None) -> pa.Table:
    """All rows as one arrow table in logical types (for tests and small runs)."""
    blocks = [pa.table(b.columns) for b in generate_blocks(dataset, seed, total)]
    if not blocks:
        return pa.table({f.name: pa.array([], pa.null()) for f in dataset.fields})
    return pa.concat_tables(blocks)


# --- workers: each process builds its own faker pools once, then encodes blocks by index ---

_WORKER: dict = {}


def _worker_init(dataset: Dataset, seed: int, total: int, encoder: Encoder,
                 entity_files: dict[str, str]) -> None:
    """Entity tables come memory-mapped from the files the parent wrote: one copy in RAM."""
    entities = {e.name: EntityTable(e, pa.ipc.open_file(pa.memory_map(entity_files[e.name]))
                                    .read_all()) for e in dataset.entities}
    _WORKER.update(dataset=dataset, seed=seed, total=total, encoder=encoder,
                   pools=faker_pools(dataset, seed), entities=entities)


def _worker_encode(index: int) -> bytes | pa.Table:
    w = _WORKER
    block = make_block(w["dataset"], w["seed"], w["total"], index, w["pools"], w["entities"])
    encoded = w["encoder"].encode(block)
    return encoded if isinstance(encoded, pa.Table) else bytes(encoded)


def _worker_blocks(dataset: Dataset, seed: int, total: int, encoder: Encoder, workers: int,
                   entities: Mapping[str, EntityTable], scratch: Path,
                   ) -> Iterator[tuple[int, bytes | pa.Table]]:
    """Encoded blocks in order from a process pool, at most 2 per worker in flight."""
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
        while next_index < count or pending:
            while next_index < count and len(pending) < 2 * workers:
                pending.append((next_index, pool.submit(_worker_encode, next_index)))
                next_index += 1
            index, future = pending.popleft()
            yield min(BLOCK_SIZE, total - index * BLOCK_SIZE), future.result()


class BackgroundWriter:
    """Encodes (when given an encoder) and appends blocks from a thread, so encoding and
    disk writes overlap generation; arrow and file writes release the GIL."""

    _STOP = object()

    def __init__(self, sink, encode: Callable | None = None, depth: int = 3):
        self.sink = sink
        self.encode = encode
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="block-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not self._STOP:
            if self.error is None:
                try:
                    self.sink.write(self.encode(item) if self.encode else item)
                except BaseException as exc:  # re-raised in the producing thread
                    self.error = exc

    def write(self, item) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def close(self) -> None:
        self.queue.put(self._STOP)
        self.thread.join()
        if self.error is not None:
            raise self.error


@dataclass(frozen=True)
class WriteResult:
    rows: int
    path: Path
    bytes: int
    seconds: float
    entities: tuple[WriteResult, ...] = ()  # the entity tables written beside it


ENTITY_FOLDER = "_entities"  # "_": the batch job's and Spark's input listings skip it


def entity_path(path: Path, dataset: Dataset, name: str) -> Path:
    """`<folder>/_entities/<stem>.<entity><suffix>` for the main output `path`."""
    suffix = dataset.output.suffix
    stem = path.name[:-len(suffix)] if path.name.endswith(suffix) else path.stem
    return path.parent / ENTITY_FOLDER / f"{stem}.{name}{suffix}"


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A hidden temporary name for `path`, renamed to it when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_entities(dataset: Dataset, path: Path, tables: Mapping[str, EntityTable],
                   ) -> tuple[WriteResult, ...]:
    """Each entity table beside the main output `path`, in its format, block by block."""
    results = []
    for name, entity in tables.items():
        started, target = time.perf_counter(), entity_path(path, dataset, name)
        encoder = encoder_for(dataset.entity_dataset(entity.entity))
        with _replacing(target) as temp, encoder.open(temp) as sink:
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
    started = time.perf_counter()
    total = dataset.entity_count
    check_runnable(dataset)
    entities = entity_tables(dataset, seed)
    encoder = encoder_for(dataset)
    with _replacing(path) as temp, encoder.open(temp) as sink, \
            tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as scratch:
        if workers > 1 and block_count(total) > 1:
            items = _worker_blocks(dataset, seed, total, encoder, workers, entities,
                                   Path(scratch))
            writer = BackgroundWriter(sink)
        else:
            items = ((b.size, b) for b in generate_blocks(dataset, seed, total, entities))
            writer = BackgroundWriter(sink, encoder.encode)
        try:
            for rows, item in items:
                writer.write(item)
                if progress:
                    progress(rows)
        finally:
            writer.close()
    written = write_entities(dataset, path, entities)
    return WriteResult(total, path, path.stat().st_size, time.perf_counter() - started,
                       written)

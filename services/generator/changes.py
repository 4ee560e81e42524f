"""A lifecycle as the change stream of its episodes' rows, in Debezium's envelope (--cdc).

Each episode is one row of the lifecycle's `changes.table`, keyed by `changes.key`: its
initial state creates the row (`op` "c"), each later state updates it ("u"), a state of
`changes.deletes` deletes it ("d"). The row (`after`) is the episode's lifecycle row at that
change: its key, its lookups, the current state, the time of the change, and every
per-state field drawn so far (a field keeps its last drawn value once set, as a table's
column would; a state drawn again replaces it). `before` is the previous change's `after`
(null on a create); a delete has `after` null and `before` the last row. `ts_ms` is the
change's time in epoch milliseconds; `source` holds the table and `seq`, which orders the
changes (see change_lines). No tombstone follows a delete.

An episode is made whole inside the block of its start (services.generator.lifecycle), so
every before-image is known in that block: each change's before and after rows are made
per block, column at a time, as typed columns, merged into time order with the lifecycle
rows' own rule (ordering.py), and only then rendered as JSON text, a slice at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.common.arrow import concat
from services.common.cli import UsageError
from services.generator.block import BLOCK_SIZE
from services.generator.lifecycle import walked_rows
from services.generator.links import EntityTable
from services.generator.render import json_values
from services.schema import Dataset

SEQ_SCALE = 1_000_000  # seq = epoch second x SEQ_SCALE + rank in that second: < 2**53
AFTER, BEFORE = "after:", "before:"  # the merged columns: the two rows' columns, prefixed,
OP, SECOND = "op:", "second:"  # the op (0 c, 1 u, 2 d) and the change's epoch second
OPS = pa.array(["c", "u", "d"])


class TooManyChanges(UsageError):
    """More changes in one second than seq can number."""


def block_changes(dataset: Dataset, seed: int, total: int, index: int,
                  pools: dict[str, pa.Array], entities: Mapping[str, EntityTable],
                  ) -> tuple[pa.Table, np.ndarray, pa.Table]:
    """Block `index`'s changes grouped by episode, as typed columns (each change's `after`
    and `before` rows, its op, its SECOND: text is made only as they are written, see
    change_lines), their seconds, and the final rows of its episodes (their last `after`;
    deleted rows absent), in episode order."""
    table, seconds, episode = walked_rows(dataset, seed, total, index, pools, entities)
    by_episode = np.lexsort((seconds, episode))  # each episode's changes together, in order
    episode, ordered = episode[by_episode], seconds[by_episode]
    n = len(episode)
    first = np.ones(n, dtype=bool)
    first[1:] = episode[1:] != episode[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]
    rows = current_rows(dataset, table.take(pa.array(by_episode)), first)
    cycle = dataset.lifecycle
    deleted = np.asarray(pc.is_in(rows.column(cycle.state_field),
                                  pa.array(cycle.changes.deletes, pa.string()))
                         .fill_null(False)) if n else np.zeros(0, dtype=bool)
    before = rows.take(pa.array(np.maximum(np.arange(n) - 1, 0)))  # a create: op says null
    columns = {f"{AFTER}{name}": rows.column(name) for name in rows.column_names}
    columns.update({f"{BEFORE}{name}": before.column(name) for name in rows.column_names})
    columns[OP] = pa.array(np.where(first, 0, np.where(deleted, 2, 1)).astype(np.int8))
    columns[SECOND] = pa.array(ordered)
    # left in episode order: the merge's stable sort by time puts them in the rows' order
    # (time, episode, step)
    return pa.table(columns), ordered, rows.filter(pa.array(last & ~deleted))


def current_rows(dataset: Dataset, rows: pa.Table, first: np.ndarray) -> pa.Table:
    """The lifecycle rows (grouped by episode, in order; `first` marks each episode's first)
    with every per-state field carried from the latest row of its state in the episode."""
    cycle = dataset.lifecycle
    position = np.arange(rows.num_rows)
    start = np.maximum.accumulate(np.where(first, position, 0)) if rows.num_rows else position
    state = rows.column(cycle.state_field)
    columns = {name: rows.column(name) for name in rows.column_names}
    for name, fields in cycle.fields:
        drawn = np.asarray(pc.equal(state, name).fill_null(False))
        latest = np.maximum.accumulate(np.where(drawn, position, -1)) if len(drawn) \
            else position
        known = latest >= start
        take = pa.array(np.where(known, latest, 0), mask=~known)
        for field in fields:
            columns[field.name] = rows.column(field.name).take(take)
    return pa.table(columns)


def row_json(dataset: Dataset, rows: pa.Table, prefix: str = "") -> pa.Array:
    """Each row (its columns `prefix` + name) as a JSON object, as the JSONL encoder writes
    it (services.generator.encoders), one string per row."""
    parts: list[pa.Array | str] = []
    for i, field in enumerate(dataset.fields):
        parts.append(("{" if i == 0 else ", ") + f'"{field.name}": ')
        parts.append(json_values(field, rows.column(prefix + field.name).combine_chunks()))
    parts.append("}")
    if not rows.num_rows:
        return pa.array([], pa.string())
    return concat(*parts)


def change_lines(dataset: Dataset, written: pa.Table) -> Iterator[pa.Array]:
    """The lines of the changes one merge step writes (sorted by time), BLOCK_SIZE at a
    time, each envelope ended with its seq: the second x SEQ_SCALE + its rank among that
    second's changes. A merge step writes every change of its seconds (ordering.merged:
    all rows of [b[k], b[k + 1])), so any process numbers a second the same, and seq
    increases along the file."""
    seconds = np.asarray(written.column(SECOND))
    rank = np.arange(len(seconds)) - np.searchsorted(seconds, seconds, side="left")
    if len(rank) and rank.max() >= SEQ_SCALE:
        busy = int(seconds[int(np.argmax(rank))])
        raise TooManyChanges(f"more than {SEQ_SCALE:,} changes in the second {busy} (epoch): "
                             "source.seq cannot order them; spread the episodes' start "
                             "times or lower --n")
    seq = seconds * SEQ_SCALE + rank
    table = dataset.lifecycle.changes.table
    for offset in range(0, len(seconds), BLOCK_SIZE):
        part = written.slice(offset, BLOCK_SIZE)
        op = part.column(OP).combine_chunks()
        after = pc.if_else(pc.equal(op, 2), "null", row_json(dataset, part, AFTER))
        before = pc.if_else(pc.equal(op, 0), "null", row_json(dataset, part, BEFORE))
        yield concat('{"before": ', before, ', "after": ', after, ', "op": "', OPS.take(op),
                     '", "ts_ms": ', pa.array(seconds[offset:offset + BLOCK_SIZE] * 1000)
                     .cast(pa.string()), f', "source": {{"table": "{table}", "seq": ',
                     pa.array(seq[offset:offset + BLOCK_SIZE]).cast(pa.string()), "}}\n")

"""A block of lifecycle episodes made whole: one row per state entered, from the block's own
random streams only (block.py's contract), so any process makes the same rows.

The block's rows of the main schema are the episodes (their start times sorted, from the
block's quantile slice: datetimes.slice_seconds); the walk draws, a step at a time for all
live episodes at once, each one's next transition and its delay; rows later than the time
window's end are cut, as is an episode after `max_steps` transitions. Per-state fields are
drawn for the rows of their state, column at a time, and are null on the other rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from services.common.arrow import with_nulls
from services.extracts import SECONDS
from services.generator.block import NULLS, Block
from services.generator.copula import U_HIGH, U_LOW
from services.generator.datetimes import epoch_seconds
from services.generator.dispatch import column
from services.generator.engine import make_block
from services.generator.links import EntityTable, entity_seed
from services.generator.numbers import float_values
from services.schema import Dataset, Lifecycle, State

WALK = "lifecycle:walk"  # the walk's random stream name (not a valid column name)


@dataclass
class SizedBlock(Block):
    """A block of a given number of rows (the rows of one state), not of BLOCK_SIZE."""

    made: int = 0

    @property
    def size(self) -> int:
        return self.made


@dataclass(frozen=True)
class Walk:
    """Every row of a block's episodes: episode (row in the block), step, state, time."""

    episode: np.ndarray
    step: np.ndarray
    state: np.ndarray
    seconds: np.ndarray


def base_dataset(dataset: Dataset) -> Dataset:
    """The dataset whose rows are the episodes: the main schema's own fields."""
    extra = {dataset.lifecycle.state_field, *(f.name for f in dataset.lifecycle.extra_fields)}
    return replace(dataset, fields=tuple(f for f in dataset.fields if f.name not in extra))


def walk(cycle: Lifecycle, starts: np.ndarray, rng: np.random.Generator, last: int) -> Walk:
    """All live episodes advance one step at a time: the next state by each state's
    transition probabilities (the rest ends the episode), then its delay."""
    states = {s.name: i for i, s in enumerate(cycle.states)}
    live = np.arange(len(starts))
    at = np.full(len(starts), states[cycle.initial], dtype=np.int64)
    now = starts.astype(np.int64)
    pieces = [(live, np.zeros(len(live), np.int64), at, now)]
    for step in range(1, cycle.max_steps + 1):
        if not len(live):
            break
        nxt = np.full(len(live), -1, dtype=np.int64)
        gap = np.zeros(len(live), dtype=np.int64)
        for index, state in enumerate(cycle.states):
            rows = np.flatnonzero(at == index)
            if len(rows) and not state.terminal:
                _advance(cycle, state, states, rows, rng, nxt, gap)
        now = now + gap
        keep = (nxt >= 0) & (now <= last)
        live, at, now = live[keep], nxt[keep], now[keep]
        pieces.append((live, np.full(len(live), step, np.int64), at, now))
    return Walk(*(np.concatenate([p[i] for p in pieces]) for i in range(4)))


def _advance(cycle: Lifecycle, state: State, states: Mapping[str, int], rows: np.ndarray,
             rng: np.random.Generator, nxt: np.ndarray, gap: np.ndarray) -> None:
    """nxt and gap (seconds) for the episodes in `state` (rows): -1 where they end."""
    edges = np.cumsum([t.p for t in state.transitions])
    pick = np.searchsorted(edges, rng.random(len(rows)), side="right")
    cap = cycle.max_delay * cycle.unit
    for i, transition in enumerate(state.transitions):
        chosen = rows[pick == i]
        if not len(chosen):
            continue
        u = np.clip(rng.random(len(chosen)), U_LOW, U_HIGH)
        delay = np.clip(float_values(transition.delay, u) * cycle.unit, 0.0, cap)
        seconds = np.maximum(np.ceil(delay), 1).astype(np.int64)  # times strictly increase
        target = np.full(len(chosen), states[transition.to], dtype=np.int64)
        if state.timeout is not None:
            after = max(1, math.ceil(state.timeout.after * cycle.unit))
            idle = seconds > after
            seconds[idle] = after
            target[idle] = states[state.timeout.to]
        nxt[chosen], gap[chosen] = target, seconds


def episode_rows(dataset: Dataset, seed: int, total: int, index: int,
                 pools: dict[str, pa.Array], entities: Mapping[str, EntityTable],
                 ) -> tuple[pa.Table, np.ndarray]:
    """Block `index`'s episodes as rows in the order (time, episode, step), and the rows'
    epoch seconds."""
    table, seconds, _ = walked_rows(dataset, seed, total, index, pools, entities)
    return table, seconds


def walked_rows(dataset: Dataset, seed: int, total: int, index: int,
                pools: dict[str, pa.Array], entities: Mapping[str, EntityTable],
                ) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """episode_rows, and each row's episode (its row in the block: episodes are numbered
    in start order); along an episode, times strictly increase."""
    cycle = dataset.lifecycle
    block = make_block(base_dataset(dataset), seed, total, index, pools, entities)
    starts = np.asarray(block.columns[cycle.time_field].cast(SECONDS).cast(pa.int64()))
    last = epoch_seconds(dataset.time_window.end)
    rows = walk(cycle, starts, block.rng(WALK), last)
    order = np.lexsort((rows.step, rows.episode, rows.seconds))
    episode, state = rows.episode[order], rows.state[order]
    seconds = rows.seconds[order]
    take = pa.array(episode)
    columns = {}
    for field in dataset.fields:
        if field.name == cycle.time_field:
            columns[field.name] = pa.Array.from_buffers(SECONDS, len(seconds),
                                                        [None, pa.py_buffer(seconds)])
        elif field.name == cycle.state_field:
            columns[field.name] = pa.array(cycle.names).take(pa.array(state))
        elif field.name in block.columns:
            columns[field.name] = block.columns[field.name].take(take)
    columns.update(state_columns(dataset, seed, index, state, pools, entities))
    return pa.table({f.name: columns[f.name] for f in dataset.fields}), seconds, episode


def state_columns(dataset: Dataset, seed: int, index: int, state: np.ndarray,
                  pools: dict[str, pa.Array], entities: Mapping[str, EntityTable],
                  ) -> dict[str, pa.Array]:
    """Each state's fields, drawn for the rows in that state, null on the others."""
    cycle = dataset.lifecycle
    out = {}
    for name, fields in cycle.fields:
        rows = state == cycle.names.index(name)
        sub = replace(dataset, fields=fields, lifecycle=None, correlations=())
        block = SizedBlock(sub, entity_seed(seed, f"{cycle.entity}.{name}"), index, 0,
                           pools, entities=dict(entities), made=int(rows.sum()))
        block = _fill(block)
        position = np.cumsum(rows) - 1
        take = pa.array(position, mask=~rows)
        for field in fields:
            out[field.name] = block.columns[field.name].take(take)
    return out


def _fill(block: SizedBlock) -> SizedBlock:
    """make_block's loop on a SizedBlock (its size is not the run's)."""
    for field in block.dataset.fields:
        values = column(field, block)
        if field.null_prob > 0:
            mask = block.rng(field.name, stream=NULLS).random(block.size) < field.null_prob
            values = with_nulls(values, mask)
        block.columns[field.name] = values
    return block

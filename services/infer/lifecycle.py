"""A lifecycle learned from episodes (services.infer.episodes): the rows sorted by (id, time)
give each id's states in order, so the counts of (from, to) pairs, the delays between them
and the last state of each id say the whole state machine.

- initial: the state most ids start in; states not reachable from it are left out;
- terminal: states that end ids and never lead on; another state's `end` is the share of
  its rows that are an id's last;
- outcomes (a move or an end) are counted on the rows that could have been seen to go on:
  a row closer to the data's end than the longest delay out of its state may be cut, not
  ended (the window's end cuts episodes, and the generator cuts them again), so those rows
  count for neither p nor end, nor their delays;
- transitions: p = the pair's share of the state's rows; delay = an `empirical` table of
  QUANTILES quantiles of the pair's seconds less half a second (the generator rounds a
  delay up to a whole second), in the unit that suits the median delay;
- timeout: a pair into a terminal state whose delays are all the same A seconds (at least
  TIMEOUT_MIN of them) is inactivity, as the generator writes it: `timeout` after A, its
  share folded into the state's other transitions as delays beyond A (their tail), so that
  draws past A time out as often as the data did;
- per-state fields: a column null on every row outside one state;
- the episodes' own columns are read from each id's first row (`starts`); one that changes
  along an id's rows is drawn once per episode all the same, and a warning names it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.detect import detect
from services.infer.episodes import Episodes, Roles, episodes
from services.infer.numbers import QUANTILES
from services.infer.samples import Sample
from services.infer.stats import significant
from services.schema import DELAY_UNITS as UNITS

log = logging.getLogger("infer.lifecycle")

TIMEOUT_MIN = 5


@dataclass(frozen=True)
class Learned:
    lifecycle: dict  # the entity's `lifecycle` section
    starts: Sample  # each id's first row, without the state and per-state columns
    span: tuple[int, int]  # first and last second of every row


def learn(sample: Sample, roles: Roles) -> Learned | None:
    ep = episodes(sample.columns, roles)
    if ep is None:
        return None
    per_state = _per_state_fields(sample, ep)
    cycle = _machine(ep)
    if per_state:
        cycle["fields"] = per_state
    firsts = pa.array(ep.order[ep.first])
    kept = {n: t.take(firsts) for n, t in sample.columns.items()
            if n != roles.state and n not in {f["name"] for fs in per_state.values()
                                              for f in fs}}
    _warn_changing({n: sample.columns[n] for n in kept}, ep)
    starts = Sample(kept, len(firsts), sample.files)
    return Learned(cycle, starts, (int(ep.seconds.min()), int(ep.seconds.max())))


def _warn_changing(columns: dict, ep: Episodes) -> None:
    """Name the episode columns whose value is not the same on every row of an id."""
    head = np.maximum.accumulate(np.where(ep.first, np.arange(len(ep.first)), 0))
    for name, text in columns.items():
        if name in (ep.roles.id, ep.roles.time):
            continue
        codes = pc.fill_null(pc.dictionary_encode(text).combine_chunks().indices, -1)
        codes = codes.to_numpy(zero_copy_only=False)[ep.order]
        changed = np.count_nonzero(codes != codes[head])
        if changed:
            log.warning("%s: differs between rows of one %s (%d rows) and is not a "
                        "per-state field: drawn once per episode, from its first row", name,
                        ep.roles.id, changed)


def _machine(ep: Episodes) -> dict:
    size = len(ep.names)
    src, dst = ep.moves()
    delays = ep.gaps()
    every = np.bincount(src * size + dst, minlength=size * size).reshape(size, size)
    initial = int(np.argmax(np.bincount(ep.states[ep.first], minlength=size)))
    seen = _seen(ep, src, delays, size)
    moved = seen[:-1][~ep.first[1:]]
    src, dst, delays = src[moved], dst[moved], delays[moved]
    pairs = np.bincount(src * size + dst, minlength=size * size).reshape(size, size)
    ends = np.bincount(ep.states[ep.last & seen], minlength=size)
    terminal = every.sum(axis=1) == 0
    unit_name = _unit(delays)
    unit = UNITS[unit_name]
    states, longest = {}, float(delays.max()) if len(delays) else 1.0
    for s in np.flatnonzero(_reachable(every, initial)):
        if terminal[s]:
            states[ep.names[s]] = {"terminal": True}
            continue
        spec, tail = _state(ep, s, pairs, ends, terminal, src, dst, delays, unit)
        states[ep.names[s]] = spec
        longest = max(longest, tail)
    steps = int(ep.lengths().max()) - 1
    return {"description": f"learned from {int(ep.first.sum()):,} episodes of {ep.roles.id} "
                           f"moving by {ep.roles.state}",
            "state_field": ep.roles.state, "initial": ep.names[initial],
            "delay_unit": unit_name, "max_delay": significant(longest / unit + 1, 6),
            "max_steps": min(max(steps, 1), 10_000), "states": states}


def _seen(ep: Episodes, src: np.ndarray, delays: np.ndarray, size: int) -> np.ndarray:
    """Whether each sorted row's outcome (its next state, or its id's end) is known: the
    longest delay out of its state still falls inside the data."""
    longest = np.zeros(size)
    np.maximum.at(longest, src, delays.astype(np.float64))
    return ep.seconds + longest[ep.states] <= ep.seconds.max()


def _state(ep: Episodes, s: int, pairs: np.ndarray, ends: np.ndarray, terminal: np.ndarray,
           src: np.ndarray, dst: np.ndarray, delays: np.ndarray, unit: int
           ) -> tuple[dict, float]:
    """The state's spec and the longest delay it may draw (seconds)."""
    total = pairs[s].sum() + ends[s]
    targets = np.flatnonzero(pairs[s])
    timeout = _timeout(s, targets, terminal, src, dst, delays)
    others = [t for t in targets if t != timeout]
    spec: dict = {}
    if timeout is not None and others:
        after = float(delays[(src == s) & (dst == timeout)][0])
        spec["timeout"] = {"after": significant(after / unit, 6), "to": ep.names[timeout]}
    else:
        timeout, others = None, list(targets)
    folded = pairs[s, timeout] if timeout is not None else 0
    base = sum(pairs[s, t] for t in others)
    transitions, longest = [], 0.0
    for t in others:
        own = delays[(src == s) & (dst == t)].astype(np.float64) - 0.5
        extra = round(folded * pairs[s, t] / base) if base else 0
        if extra:  # beyond the timeout: A and a half, which the generator turns into A
            own = np.concatenate([own, np.full(extra, float(spec["timeout"]["after"]) * unit
                                              * 1.5)])
        longest = max(longest, float(own.max()))
        transitions.append({"to": ep.names[t], "p": (pairs[s, t] + extra) / total,
                            "delay": {"distribution": "empirical",
                                      "quantiles": _quantiles(own / unit)}})
    ps = [significant(t["p"], 6) for t in transitions]
    end = 1.0 - sum(ps)
    for t, p in zip(transitions, ps, strict=True):
        t["p"] = p
    if end > 1e-9:
        spec["end"] = significant(end, 9)
    spec["transitions"] = transitions
    if not transitions:
        spec = {"end": 1}
    return spec, longest


def _timeout(s: int, targets: np.ndarray, terminal: np.ndarray, src: np.ndarray,
             dst: np.ndarray, delays: np.ndarray) -> int | None:
    for t in targets:
        if terminal[t]:
            own = delays[(src == s) & (dst == t)]
            if len(own) >= TIMEOUT_MIN and own.min() == own.max():
                return int(t)
    return None


def _quantiles(values: np.ndarray) -> list[float]:
    table = np.quantile(values, np.linspace(0, 1, QUANTILES))
    return [significant(float(v), 6) for v in np.maximum(table, 0)]


def _unit(delays: np.ndarray) -> str:
    """The largest unit the median delay is at least one of."""
    median = float(np.median(delays)) if len(delays) else 1.0
    return next(name for name, size in sorted(UNITS.items(), key=lambda kv: -kv[1])
                if median >= size or size == 1)


def _reachable(pairs: np.ndarray, initial: int) -> np.ndarray:
    seen = np.zeros(len(pairs), bool)
    seen[initial] = True
    todo = [initial]
    while todo:
        for t in np.flatnonzero(pairs[todo.pop()]):
            if not seen[t]:
                seen[t] = True
                todo.append(int(t))
    return seen


def _per_state_fields(sample: Sample, ep: Episodes) -> dict[str, list[dict]]:
    """Columns null on every row outside one state, detected on that state's rows."""
    state_of_row = np.empty(len(ep.order), np.int64)
    state_of_row[ep.order] = ep.states
    out: dict[str, list[dict]] = {}
    for name, text in sample.columns.items():
        if name in (ep.roles.id, ep.roles.state, ep.roles.time) or not text.null_count:
            continue
        present = pc.is_valid(text).to_numpy(zero_copy_only=False)
        where = np.unique(state_of_row[present])
        if len(where) != 1 or len(ep.names) < 2:
            continue
        rows = np.flatnonzero(state_of_row == where[0])
        field = detect(name, text.take(pa.array(rows))).field
        out.setdefault(ep.names[where[0]], []).append(field)
        log.info("%s: only on %s rows, a per-state field", name, ep.names[where[0]])
    return out

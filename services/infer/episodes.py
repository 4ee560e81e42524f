"""Rows that are the steps of episodes: an id that repeats, a status column that moves along
each id, and a time. Found once (`find_roles`) and read by the temporal distances
(services.infer.temporal) and by lifecycle inference (services.infer.lifecycle).

The rule, so that a flat table is not taken for one: the time is the first column whose
values all parse as times with a clock; a status candidate is a label column (no nulls, 2 to
STATE_MAX values, not all numbers, not a yes/no pair); an id candidate has no nulls, at
least ID_MIN_VALUES values and at least REPEAT_SHARE of the rows in ids seen twice or more.
An (id, status) pair is a lifecycle when, sorted by (id, time), the status changes inside at
least CHANGE_SHARE of the ids with 2+ rows, one status starts at least INITIAL_SHARE of the
ids, and that status is at least INITIAL_LIFT rarer among the later rows (an initial state,
not just a common value). The finest id (most distinct values) with a status that passes is
kept: an order, not its customer. Among several statuses the one named like a status
(STATE_NAMES) wins, then the one that starts the most ids; the others are named in a
warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.detect import BOOL_PAIRS, DECIMAL, INTEGER
from services.infer.samples import Text
from services.infer.times import Times, parse_times

log = logging.getLogger("infer.episodes")

STATE_MAX = 30
PROBE_ROWS = 100_000
ID_MIN_VALUES = 50  # fewer: a category (a card's type), not the ids of episodes
REPEAT_SHARE = 0.5
CHANGE_SHARE = 0.1
INITIAL_SHARE = 0.9
INITIAL_LIFT = 0.1
STATE_NAMES = ("status", "state", "event", "event_type", "stage", "step", "action")


@dataclass(frozen=True)
class Roles:
    id: str
    state: str
    time: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Episodes:
    """The rows sorted by (id, time, row): id codes, state names' codes, epoch seconds."""

    roles: Roles
    order: np.ndarray  # row of each sorted position
    ids: np.ndarray
    states: np.ndarray
    names: tuple[str, ...]  # state code -> name
    seconds: np.ndarray
    times: Times

    @property
    def first(self) -> np.ndarray:
        """Whether each sorted row is its id's first."""
        return np.concatenate([[True], self.ids[1:] != self.ids[:-1]]) if len(self.ids) \
            else np.zeros(0, bool)

    @property
    def last(self) -> np.ndarray:
        return np.concatenate([self.ids[1:] != self.ids[:-1], [True]]) if len(self.ids) \
            else np.zeros(0, bool)

    def gaps(self) -> np.ndarray:
        """Seconds between an id's consecutive rows."""
        return np.diff(self.seconds)[~self.first[1:]]

    def lengths(self) -> np.ndarray:
        """Rows of each id."""
        return np.diff(np.flatnonzero(np.append(self.first, True)))

    def moves(self) -> tuple[np.ndarray, np.ndarray]:
        """(from, to) state codes of each consecutive pair of an id's rows."""
        inside = ~self.first[1:]
        return self.states[:-1][inside], self.states[1:][inside]


def find_roles(columns: dict[str, Text], rows: int) -> Roles | None:
    """The columns that make episodes, or None (see the module's rule). A status must first
    start INITIAL_SHARE of the ids (their earliest rows, found without sorting); then each
    id candidate that has one is sorted once, and its statuses read in that order."""
    time, times = _time_column(columns)
    if time is None or rows < 2:
        return None
    labels = [n for n, t in columns.items() if n != time and _state_candidate(t)]
    ids = {n: codes for n, t in columns.items() if labels and n != time and n not in labels
           and (codes := _id_codes(t, rows)) is not None}
    in_time = np.argsort(times.seconds, kind="stable")  # shared by every id candidate
    for id_name in sorted(ids, key=lambda n: -int(ids[n].max())):
        first = np.empty(int(ids[id_name].max()) + 1, np.int64)
        first[ids[id_name][in_time[::-1]]] = in_time[::-1]  # the last write: the earliest
        heads = {n: _labels(columns[n]) for n in labels
                 if _top_count(columns[n].take(pa.array(first))) >= INITIAL_SHARE * len(first)}
        if not heads:
            continue
        order = _sorted(ids[id_name], in_time)
        passing = []
        for state, (codes, names) in heads.items():
            ep = Episodes(Roles(id_name, state, time), order, ids[id_name][order],
                          codes[order], names, times.seconds[order], times)
            score = _lifecycle_score(ep)
            if score is not None:
                passing.append((state.lower() in STATE_NAMES, score, state))
        if passing:
            return _chosen(id_name, time, sorted(passing, key=lambda p: (not p[0], -p[1])))
    return None


def _top_count(values: Text) -> int:
    return int(pc.max(pc.value_counts(values).field("counts")).as_py())


def _sorted(id_codes: np.ndarray, in_time: np.ndarray) -> np.ndarray:
    """Rows by (id, time, row): the rows in time order, then stably by id (as fast again
    as a lexsort, and the time order is made once)."""
    return in_time[np.argsort(id_codes[in_time], kind="stable")]


def _chosen(id_name: str, time: str, passing: list[tuple[bool, float, str]]) -> Roles:
    """The first status; the others named in a warning that says why it won."""
    named, share, chosen = passing[0]
    warnings = tuple(
        f"{other}: also moves like a status along {id_name}; {chosen} is taken, "
        + ("its name says status" if named else
           f"one state starts more of the ids ({share:.1%} against {theirs:.1%})")
        for _, theirs, other in passing[1:])
    for warning in warnings:
        log.warning("%s", warning)
    return Roles(id_name, chosen, time, warnings)


def episodes(columns: dict[str, Text], roles: Roles, times: Times | None = None
             ) -> Episodes | None:
    """The rows sorted by (id, time); None when a role's column is missing or the time does
    not parse."""
    if any(n not in columns for n in (roles.id, roles.state, roles.time)):
        return None
    times = times or parse_time(columns[roles.time])
    if times is None:
        return None
    id_codes = _codes(columns[roles.id])
    state_codes, names = _labels(columns[roles.state])
    order = _sorted(id_codes, np.argsort(times.seconds, kind="stable"))
    return Episodes(roles, order, id_codes[order], state_codes[order], names,
                    times.seconds[order], times)


def parse_time(text: Text) -> Times | None:
    if text.null_count or not len(text):
        return None
    probe = text.slice(0, 1000)
    whole = pc.all(pc.match_substring_regex(probe, INTEGER)).as_py()
    if whole and not pc.all(pc.match_substring_regex(text, INTEGER)).as_py():
        return None
    return parse_times(text, text.cast(pa.int64()).to_numpy() if whole else None)


def _time_column(columns: dict[str, Text]) -> tuple[str | None, Times | None]:
    for name, text in columns.items():
        times = parse_time(text)
        if times is not None and times.has_clock and len(np.unique(times.seconds[:1000])) > 1:
            return name, times
    return None, None


def _state_candidate(text: Text) -> bool:
    if text.null_count:
        return False
    distinct = pc.unique(text.slice(0, 100_000))
    if not 2 <= len(distinct) <= STATE_MAX:
        return False
    lower = {str(v).lower() for v in distinct.to_pylist()}
    if any(lower <= set(pair) for pair in BOOL_PAIRS):
        return False
    return not pc.all(pc.match_substring_regex(distinct, DECIMAL)).as_py() and \
        2 <= pc.count_distinct(text).as_py() <= STATE_MAX


def _id_codes(text: Text, rows: int) -> np.ndarray | None:
    """The column's codes when it can be an id: no nulls, not numbers with a fraction,
    ID_MIN_VALUES values or more, REPEAT_SHARE of the rows in values seen twice or more.
    A column with no value twice in its first PROBE_ROWS rows is taken for unique at once
    (an event's uuid), sparing the encoding of every value."""
    if text.null_count:
        return None
    probe = text.slice(0, 1000)
    if pc.all(pc.match_substring_regex(probe, DECIMAL)).as_py() and \
            not pc.all(pc.match_substring_regex(probe, INTEGER)).as_py():
        return None
    probe = text.slice(0, PROBE_ROWS)
    if len(probe) > 1 and pc.count_distinct(probe).as_py() == len(probe):
        return None
    codes = _codes(text)
    counts = np.bincount(codes)
    if len(counts) < ID_MIN_VALUES or counts[counts > 1].sum() < REPEAT_SHARE * rows:
        return None
    return codes


def _lifecycle_score(ep: Episodes | None) -> float | None:
    """The initial state's share of the ids when the pair passes the rule, else None."""
    if ep is None:
        return None
    first, lengths = ep.first, ep.lengths()
    starts = np.flatnonzero(first)
    multi = lengths > 1
    if not multi.any():
        return None
    changed = np.add.reduceat((np.diff(ep.states, prepend=ep.states[0]) != 0) & ~first,
                              starts)
    if (changed[multi] > 0).mean() < CHANGE_SHARE:
        return None
    head = np.bincount(ep.states[first], minlength=len(ep.names))
    initial = int(np.argmax(head))
    share = head[initial] / len(starts)
    later = ep.states[~first]
    later_share = (later == initial).mean() if len(later) else 0.0
    if share < INITIAL_SHARE or share - later_share < INITIAL_LIFT:
        return None
    return float(share)


def _codes(text: Text) -> np.ndarray:
    encoded = pc.dictionary_encode(text).combine_chunks()
    return pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _labels(text: Text) -> tuple[np.ndarray, tuple[str, ...]]:
    encoded = pc.dictionary_encode(text).combine_chunks()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, tuple(str(v) for v in encoded.dictionary.to_pylist())

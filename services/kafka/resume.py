"""--resume: send only what a killed run of the same plan did not get into the topic.

The same input, flags and seed send the same messages (key and bytes) in the same order,
and each partition keeps its messages in the order they were sent (the producer is
idempotent). So of the plan's messages to one partition, those already there are the
longest start of that sequence that the partition ends with: found by comparing
fingerprints of (key, value). They are left out, the rest are sent in the plan's order,
and each partition then holds each of its planned messages once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from services.kafka.chunks import Chunk, render_items
from services.kafka.delivery import key_hash, partition_of
from services.kafka.poisons import PoisonShape

SLICE = 65_536


class ResumeError(ValueError):
    """The plan cannot be resumed exactly on this topic."""


@dataclass(frozen=True)
class PlanPrints:
    """Per item of a plan: the partition its key goes to and its message's fingerprint."""

    partitions: np.ndarray
    prints: np.ndarray

    def wanted(self) -> dict[int, int]:
        """Per partition, how many of the plan's messages go there."""
        found, counts = np.unique(self.partitions, return_counts=True)
        return dict(zip(found.tolist(), counts.tolist(), strict=True))


def fingerprint(key: bytes | None, value: bytes | None) -> int:
    """Within one process (Python salts its hashes per run): equal messages, equal prints."""
    return hash((key, value))


def plan_prints(chunk: Chunk, partitions: Collection[int], shape: PoisonShape,
                kinds: tuple[str, ...]) -> PlanPrints:
    """Every message of the chunk as the run sends it, reduced to partition and fingerprint."""
    parts = np.empty(chunk.size, dtype=np.int64)
    prints = np.empty(chunk.size, dtype=np.int64)
    hashes: dict[bytes, int] = {}
    for start in range(0, chunk.size, SLICE):
        stop = min(start + SLICE, chunk.size)
        keys, values = render_items(chunk, start, stop, 0, shape, kinds)
        if keys is None or any(key is None for key in keys):
            raise ResumeError("events without a key go to any partition")
        for i, (key, value) in enumerate(zip(keys, values, strict=True), start):
            hashed = hashes.get(key)
            if hashed is None:
                hashed = hashes[key] = key_hash(key)
            parts[i] = partition_of(hashed, partitions)
            prints[i] = fingerprint(key, value)
    return PlanPrints(parts, prints)


def sent_prefix(planned: np.ndarray, tail: np.ndarray) -> int:
    """The longest k such that `tail` ends with planned[:k]."""
    if not len(planned) or not len(tail):
        return 0
    ends = np.flatnonzero(planned[:len(tail)] == tail[-1]) + 1
    for k in ends[::-1].tolist():
        if np.array_equal(tail[len(tail) - k:], planned[:k]):
            return k
    return 0


def already_sent(plan: PlanPrints, tails: Mapping[int, np.ndarray]) -> np.ndarray:
    """Per item: whether it is in the topic already (`tails`: each partition's last
    messages' fingerprints, at least as many as the plan sends there, where it has them)."""
    sent = np.zeros(len(plan.prints), dtype=bool)
    for partition in np.unique(plan.partitions).tolist():
        items = np.flatnonzero(plan.partitions == partition)
        count = sent_prefix(plan.prints[items],
                            tails.get(partition, np.zeros(0, dtype=np.int64)))
        sent[items[:count]] = True
    return sent


def check_tails(plan: PlanPrints, tails: Mapping[int, np.ndarray], sent: np.ndarray,
                topic: str) -> None:
    """A topic that holds messages, none of them this plan's where it ends: another plan
    (other input, flags or seed) or another producer; resuming would not be exact."""
    if sent.any() or not any(len(tail) for tail in tails.values()):
        return
    raise ResumeError(f"--resume: topic {topic} does not end with messages of this run's "
                      "plan; give the input, flags and --seed of the run to resume (or run "
                      "without --resume to send everything again)")


def tails_prints(records: Iterable[tuple[int, bytes | None, bytes | None]]
                 ) -> dict[int, np.ndarray]:
    """(partition, key, value) in offset order -> each partition's fingerprints."""
    out: dict[int, list[int]] = {}
    for partition, key, value in records:
        out.setdefault(partition, []).append(fingerprint(key, value))
    return {p: np.asarray(prints, dtype=np.int64) for p, prints in out.items()}

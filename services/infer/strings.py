"""Text columns: weighted categories, one-shape codes as a `pattern`, or a Faker provider
or the most common values plus an "other" bucket when neither fits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.samples import Text
from services.infer.stats import significant

CATEGORY_MAX = 50  # at most this many distinct values make a category...
CATEGORY_REPEATS = 2  # ...each seen this many times on average
TOP_VALUES = 50  # kept by name in a top-values category
TOP_SHARE = 0.5  # ...when they cover at least this share of the values
OTHER = "(other)"
EDGE = 0.05  # a digit range within 5% of 0 or of all nines is widened to it
MAX_PATTERN_WIDTH = 64

FAKER_SHAPES = (  # (provider, regex every value matches), the first that fits wins
    ("email", r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"),
    ("ipv4", r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$"),
    ("url", r"^https?://\S+$"),
    ("name", r"^[A-Z][a-z'-]+( [A-Z][a-z'.-]+){1,2}$"),
    ("sentence", r"^\S+( \S+)+$"),
    ("word", r"^[a-z]+$"),
)


@dataclass(frozen=True)
class Counts:
    values: Text  # distinct values, most frequent first
    counts: np.ndarray

    @classmethod
    def of(cls, values: Text) -> Counts:
        table = pc.value_counts(values)
        counts = table.field("counts").to_numpy()
        order = np.argsort(-counts, kind="stable")
        return cls(table.field("values").take(pa.array(order)), counts[order])

    def __len__(self) -> int:
        return len(self.counts)

    def is_category(self) -> bool:
        return len(self) <= CATEGORY_MAX and self.counts.sum() >= CATEGORY_REPEATS * len(self)


def weighted(values: list, counts: np.ndarray, total: int | None = None) -> list:
    """`{value, weight}` choices, weights the shares (of `total`, by default of the counts
    given) rounded to 4 significant digits."""
    total = counts.sum() if total is None else total
    return [{"value": v, "weight": significant(c / total)} for v, c in zip(values, counts,
                                                                            strict=True)]


def top_values(values: Text, probe_rows: int) -> tuple[list, int] | None:
    """The most common values and an OTHER bucket for the rest, when they cover enough, and
    the number of distinct values. Counted on the first rows, then, unless those are far
    from enough, on all of them."""
    probe = Counts.of(values.slice(0, probe_rows))
    if probe.counts[:TOP_VALUES].sum() < (TOP_SHARE - 0.1) * probe.counts.sum():
        return None
    counts = Counts.of(values)
    top = counts.counts[:TOP_VALUES]
    if top.sum() < TOP_SHARE * counts.counts.sum():
        return None
    choices = weighted(counts.values.slice(0, TOP_VALUES).to_pylist(), top,
                       counts.counts.sum())
    rest = counts.counts[TOP_VALUES:].sum() / counts.counts.sum()
    return [*choices, {"value": OTHER, "weight": significant(rest)}], len(counts)


def all_match(values: Text, regex: str) -> bool:
    """Every value matches; a few values are tried first, as most columns fail at once."""
    def matches(part: Text) -> bool:
        return pc.all(pc.match_substring_regex(part, regex)).as_py()

    return len(values) > 0 and matches(values.slice(0, 1000)) and matches(values)


def faker_provider(values: Text) -> str | None:
    return next((provider for provider, regex in FAKER_SHAPES if all_match(values, regex)),
                None)


def pattern_of(values: Text) -> str | None:
    """A pattern every value has: positions that never change are literal, changing ones
    are letters ({A-Z}, {a-z}) or runs of digits ({LO-HI}); None when there is no one shape."""
    lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
    width = int(lengths[0]) if len(lengths) else 0
    if not 0 < width <= MAX_PATTERN_WIDTH or np.any(lengths != width):
        return None
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    chars = data[offsets:offsets + width * len(values)].reshape(len(values), width)
    if chars.max() >= 128:
        return None
    pieces, digits = [], []
    for pos in range(width):
        column = chars[:, pos]
        if np.all(column == column[0]) and len(values) > 1:
            _close_digits(pieces, digits, chars)
            char = chr(column[0])
            if char in "{}":
                return None
            pieces.append(char)
        elif np.all((column >= 48) & (column <= 57)):
            digits.append(pos)
        else:
            _close_digits(pieces, digits, chars)
            if np.all((column >= 65) & (column <= 90)):
                pieces.append("{A-Z}")
            elif np.all((column >= 97) & (column <= 122)):
                pieces.append("{a-z}")
            else:
                return None
    _close_digits(pieces, digits, chars)
    return "".join(pieces)


def _close_digits(pieces: list[str], digits: list[int], chars: np.ndarray) -> None:
    """A run of changing digit positions as one {LO-HI} range, widened at the edges."""
    if not digits:
        return
    numbers = np.zeros(len(chars), dtype=np.int64)
    for pos in digits:
        numbers = numbers * 10 + (chars[:, pos].astype(np.int64) - 48)
    top = 10 ** len(digits) - 1
    low, high = int(numbers.min()), int(numbers.max())
    low = 0 if low <= EDGE * top else low
    high = top if high >= (1 - EDGE) * top else high
    pieces.append(f"{{{low:0{len(digits)}d}-{high:0{len(digits)}d}}}")
    digits.clear()

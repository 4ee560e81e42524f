"""Text columns: weighted categories whenever values repeat (the most common LEVELS_MAX by
name, the rest as one OTHER bucket), one-shape codes as a `pattern` for values that are
unique or nearly so (identifiers), or a Faker provider when neither fits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.samples import Text
from services.infer.stats import significant

CATEGORY_MAX = 50  # numbers with at most this many distinct values, each seen...
CATEGORY_REPEATS = 2  # ...this many times on average, are a category of those numbers
LEVELS_MAX = 5000  # text levels kept by name in a category; rarer ones are OTHER
MIN_REPEATS = 2  # a text value seen fewer times is not kept by name (it would be copied)
CATEGORY_SHARE = 0.5  # text is a category when the levels kept cover this share of rows
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

    def few_numbers(self) -> bool:
        """Few distinct values, each repeated: numbers that are labels (a rating, a code)."""
        return len(self) <= CATEGORY_MAX and self.counts.sum() >= CATEGORY_REPEATS * len(self)

    def repeated_share(self) -> float:
        """The share of the values that are of a level kept by name (text_category)."""
        kept = self.counts[:LEVELS_MAX]
        return float(kept[kept >= MIN_REPEATS].sum() / max(self.counts.sum(), 1))


def weighted(values: list, counts: np.ndarray, total: int | None = None) -> list:
    """`{value, weight}` choices, weights the shares (of `total`, by default of the counts
    given) rounded to 4 significant digits."""
    total = counts.sum() if total is None else total
    return [{"value": v, "weight": significant(c / total)} for v, c in zip(values, counts,
                                                                            strict=True)]


def text_category(counts: Counts) -> tuple[list, int] | None:
    """The choices of a text category when values repeat, and how many values they name:
    the levels seen at least MIN_REPEATS times, at most LEVELS_MAX of them (the most common),
    by name, and an OTHER bucket for the rest; None when those levels cover less than
    CATEGORY_SHARE of the rows (values unique or nearly so: identifiers, free text)."""
    if counts.repeated_share() < CATEGORY_SHARE:
        return None
    kept = int(np.count_nonzero(counts.counts[:LEVELS_MAX] >= MIN_REPEATS))
    total = int(counts.counts.sum())
    choices = weighted(counts.values.slice(0, kept).to_pylist(), counts.counts[:kept], total)
    rest = total - int(counts.counts[:kept].sum())
    if rest:
        choices.append({"value": OTHER, "weight": significant(rest / total)})
    return choices, kept


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

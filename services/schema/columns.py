"""The jobs' view of a dataset's columns: names as the data carries them (trimmed, lower
case) and the role each plays in the analysis. Pure, so the expected answer of a stream
picks the same columns as the Spark jobs without importing Spark."""

from __future__ import annotations

from dataclasses import dataclass

from services.schema.measures import Measure
from services.schema.model import Analysis


class MissingColumnError(ValueError):
    """A column the analysis needs is not in the data."""


def normalise_name(name: str) -> str:
    return name.strip().lower()


@dataclass(frozen=True)
class Roles:
    """The analysis' columns under their normalised names."""

    timestamp: str
    date: str
    dimensions: tuple[str, ...]
    numeric: tuple[str, ...]
    flags: tuple[str, ...]
    measures: tuple[Measure, ...] = ()  # over the normalised names

    @classmethod
    def of(cls, analysis: Analysis) -> Roles:
        if not analysis.timestamp_field:
            raise MissingColumnError("the schema names no timestamp field (analysis."
                                     "timestamp_field, or a datetime field)")
        ts = normalise_name(analysis.timestamp_field)
        return cls(ts, f"{ts}_date", tuple(map(normalise_name, analysis.dimensions)),
                   tuple(map(normalise_name, analysis.numeric_fields)),
                   tuple(map(normalise_name, analysis.boolean_fields)),
                   tuple(m.renamed(normalise_name) for m in analysis.measures))

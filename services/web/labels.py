"""Labels and currency for the pages, from the schema's `analysis` section, so nothing on a
page is written for one dataset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.schema import Dataset

_PREFIXES = ("is", "has", "label")


def humanize(name: str) -> str:
    """`merchant_cat` -> "Merchant cat", `is_international` -> "International"."""
    words = [w for w in name.replace("-", "_").split("_") if w]
    if len(words) > 1 and words[0].lower() in _PREFIXES:
        words = words[1:]
    text = " ".join(words) or name
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Label:
    name: str
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label}


@dataclass(frozen=True)
class Metric(Label):
    """The headline measure: `money` as the schema declares (or defaults) it, `agg` whether
    its total or its average is the figure that means something."""

    money: bool
    agg: str = "sum"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "money": self.money, "agg": self.agg}


EVENTS = Metric("events", "Events", money=False)


@dataclass(frozen=True)
class DatasetLabels:
    title: str
    currency: str | None
    dimensions: tuple[Label, ...]
    measures: tuple[Metric, ...]  # the first is the headline
    flags: tuple[Label, ...]
    windowed: Metric = EVENTS  # what the streaming windows total (Analysis.windowed)

    @property
    def metric(self) -> Metric | None:
        return self.measures[0] if self.measures else None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "currency": self.currency,
            "dimensions": [d.to_json() for d in self.dimensions],
            "metric": None if self.metric is None else self.metric.to_json(),
            "flags": [f.to_json() for f in self.flags],
        }


def dataset_labels(dataset: Dataset) -> DatasetLabels:
    """The analysis section as labels; the main metric is the headline (first) measure."""
    analysis = dataset.analysis
    measures = tuple(Metric(m.name, m.label or humanize(m.name), m.money, m.agg)
                     for m in analysis.measures)
    windowed = analysis.windowed
    return DatasetLabels(
        title=analysis.name,
        currency=analysis.currency or None,
        dimensions=tuple(Label(d, humanize(d)) for d in analysis.dimensions),
        measures=measures,
        flags=tuple(Label(f, humanize(f)) for f in analysis.boolean_fields),
        windowed=EVENTS if windowed is None else measures[analysis.measures.index(windowed)],
    )

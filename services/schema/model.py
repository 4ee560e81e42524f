"""The dataset model every component reads: never the raw JSON."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from services.schema.correlations import Correlation
from services.schema.faults import FaultSpec
from services.schema.fields import Field
from services.schema.lifecycle import Lifecycle
from services.schema.measures import Measure

if TYPE_CHECKING:
    from services.schema.timeline import Timeline

OUTPUT_FORMATS = ("csv", "jsonl", "parquet", "avro")  # parquet and avro are extensions
SELF_COMPRESSED = ("parquet", "avro")  # compressed inside the file: no gzip
DEFAULT_START = datetime(2025, 1, 1, 0, 0, 0)
DEFAULT_END = datetime(2025, 1, 7, 23, 59, 59)
DEFAULT_ENTITY_COUNT = 1000


@dataclass(frozen=True)
class TimeWindow:
    """The range of every datetime field, both ends included, naive UTC."""

    start: datetime = DEFAULT_START
    end: datetime = DEFAULT_END


@dataclass(frozen=True)
class OutputSpec:
    format: str = "csv"
    gzip: bool = False

    @property
    def suffix(self) -> str:
        return f".{self.format}" + (".gz" if self.gzip else "")


@dataclass(frozen=True)
class Analysis:
    """How downstream jobs read the data; defaults derived from the fields."""

    name: str
    timestamp_field: str | None
    dimensions: tuple[str, ...]
    numeric_fields: tuple[str, ...]
    boolean_fields: tuple[str, ...]
    currency: str | None = None
    measures: tuple[Measure, ...] = ()  # what is totalled or averaged; the first headlines

    @property
    def headline(self) -> Measure | None:
        return self.measures[0] if self.measures else None

    @property
    def windowed(self) -> Measure | None:
        """What the streaming windows total: the first summed measure. A window's sum adds up
        across windows and groups (totals, shares); a mean does not, so none (events are
        counted instead) when every measure is a mean."""
        return next((m for m in self.measures if m.agg == "sum"), None)

    @property
    def date_column(self) -> str:
        return f"{self.timestamp_field}_date"


@dataclass(frozen=True)
class Entity:
    """A table of `count` rows made from the seed alone, which `ref` fields point into."""

    name: str
    count: int
    key: str  # the field whose values a ref copies: unique by construction
    fields: tuple[Field, ...]
    correlations: tuple[Correlation, ...] = ()
    lifecycle: Lifecycle | None = None  # the state machine its episodes walk, if any


@dataclass(frozen=True)
class Dataset:
    fields: tuple[Field, ...]
    analysis: Analysis
    seed: int | None = None
    entity_count: int = DEFAULT_ENTITY_COUNT
    time_window: TimeWindow = TimeWindow()
    output: OutputSpec = OutputSpec()
    source: str = "schema"
    entities: tuple[Entity, ...] = ()  # in dependency order: each refers only to earlier ones
    faults: FaultSpec | None = None  # the stream faults the dataset ships with, if any
    correlations: tuple[Correlation, ...] = ()  # blocks of numbers drawn together
    timeline: Timeline | None = None  # trend, bursts, outages, drift, anomalies over time
    lifecycle: Lifecycle | None = None  # rows are its transitions (services.schema.lifecycle)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"no field named {name!r}; fields: {', '.join(self.names)}")

    def entity_dataset(self, entity: Entity) -> Dataset:
        """The entity's rows as a dataset of their own: same window and output format."""
        analysis = Analysis(entity.name, None, (), (), ())
        return Dataset(entity.fields, analysis, self.seed, entity.count, self.time_window,
                       self.output, f"{self.source} entities.{entity.name}", self.entities,
                       correlations=entity.correlations)

    def with_overrides(
        self, *, seed: int | None = None, entity_count: int | None = None,
        output_format: str | None = None, gzip: bool | None = None,
    ) -> Dataset:
        """Apply CLI overrides, which take precedence over the file."""
        output = replace(
            self.output,
            format=output_format or self.output.format,
            gzip=self.output.gzip if gzip is None else gzip,
        )
        return replace(
            self,
            seed=self.seed if seed is None else seed,
            entity_count=self.entity_count if entity_count is None else entity_count,
            output=output,
        )

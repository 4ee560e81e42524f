"""What the streaming windows group by, total and window on: chosen once, from the schema
(or the retail orders' fixed names), for the job and for the expected answer alike."""

from __future__ import annotations

from dataclasses import dataclass

from services.outputs import RETAIL_GROUP
from services.schema import Dataset, MissingColumnError, Roles, normalise_name

EVENTS = "events"  # the value column when no measure is summed: 1 per event


@dataclass(frozen=True)
class StreamShape:
    """What the aggregation groups by, sums and windows on."""

    group: str
    time: str
    value: str
    counts_events: bool = False  # no summed measure: each event adds 1


RETAIL = StreamShape(group=RETAIL_GROUP, time="order_ts", value="line_amount")
# A retail order's numbers: its line amount is total_price, else quantity x unit_price.
RETAIL_NUMBERS = ("quantity", "unit_price", "total_price")


def schema_shape(dataset: Dataset, group: str | None = None,
                 value: str | None = None) -> StreamShape:
    """The analysis' first dimension and the measure the windows total (the first summed
    one), unless overridden (the value may name a summed measure or a field). A lifecycle's
    rows are its transitions: by default its windows count them per state entered."""
    roles = Roles.of(dataset.analysis)
    cycle = dataset.lifecycle
    default_group = (normalise_name(cycle.state_field) if cycle is not None
                     else roles.dimensions[0] if roles.dimensions else None)
    group = normalise_name(group) if group else default_group
    if group is None:
        raise MissingColumnError("the schema has no group column to use: set "
                                 "STREAM_GROUP_FIELD")
    fields = {normalise_name(f.name) for f in dataset.fields}
    measures = {m.name: m for m in roles.measures}
    known = fields | set(measures)
    for what, name in (("GROUP", group), ("VALUE", normalise_name(value) if value else None)):
        if name is not None and name not in known:
            raise MissingColumnError(f"STREAM_{what}_FIELD={name!r} names no field of "
                                     f"the schema; fields: {', '.join(sorted(known))}")
    if value:
        value = normalise_name(value)
        chosen = measures.get(value)
        if chosen is not None and chosen.agg != "sum":
            raise MissingColumnError(f"STREAM_VALUE_FIELD={value!r} is a mean measure; the "
                                     "streaming windows total their value, so name a summed "
                                     "measure or a field")
        return StreamShape(group=group, time=roles.timestamp, value=value)
    windowed = dataset.analysis.windowed
    if windowed is None or cycle is not None:
        return StreamShape(group=group, time=roles.timestamp, value=EVENTS, counts_events=True)
    return StreamShape(group=group, time=roles.timestamp, value=normalise_name(windowed.name))

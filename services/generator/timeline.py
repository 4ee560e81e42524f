"""The timeline's effect on what rows hold: drift, anomalies and their label, by row time.

A field that drifts or has anomalies is first drawn as declared; then the rows whose time
(the timeline's field, drawn before it: `field_order`) is at or after a drift's date take
the drifted model's draw, and the anomalous rows of a period take the anomaly's. Each model
draws from the field's own streams (block.py): a row keeps one of the draws, so each
distribution is exact, and nothing depends on the block's neighbours. Which rows of a
period are anomalous comes from the period's own stream, so the label column and every
field of the anomaly agree on it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.generator.block import Block
from services.generator.dispatch import column
from services.schema import Dataset, Field, Timeline

NO_TIME = np.iinfo(np.int64).min  # a row whose time is null is in no period


def field_order(dataset: Dataset) -> tuple[Field, ...]:
    """The fields in the order they are drawn: as declared, but the timeline's time field
    first when a drift or an anomaly reads it (it reads no other field)."""
    timeline = dataset.timeline
    if timeline is None or not timeline.shapes_rows:
        return dataset.fields
    time_field = dataset.field(timeline.field)
    return (time_field, *(f for f in dataset.fields if f is not time_field))


def timed_column(field: Field, block: Block) -> pa.Array:
    """The field's column, with the timeline's drifts and anomalies applied."""
    timeline = block.dataset.timeline
    if timeline is None:
        return column(field, block)
    if field.name == timeline.label:
        return pa.array(anomalous_rows(timeline, block))
    values = column(field, block)
    if field.name not in timeline.timed_fields:
        return values
    seconds = row_seconds(timeline, block)
    for drift in timeline.drifts_of(field.name):
        values = _swap(values, seconds >= drift.start_s, drift.model, block)
    for index, anomaly in enumerate(timeline.anomalies):
        model = next((m for m in anomaly.models if m.name == field.name), None)
        if model is not None:
            values = _swap(values, _anomalous(index, timeline, block, seconds), model, block)
    return values


def _swap(values: pa.Array, rows: np.ndarray, model: Field, block: Block) -> pa.Array:
    if not rows.any():
        return values
    return pc.if_else(pa.array(rows), column(model, block).cast(values.type), values)


def row_seconds(timeline: Timeline, block: Block) -> np.ndarray:
    """Each row's time in epoch seconds (NO_TIME where null)."""
    times = block.columns[timeline.field].cast(pa.int64())
    return pc.fill_null(times, NO_TIME).to_numpy(zero_copy_only=False)


def anomalous_rows(timeline: Timeline, block: Block) -> np.ndarray:
    """The rows any anomaly period draws from its models: the label column."""
    seconds = row_seconds(timeline, block)
    rows = np.zeros(block.size, dtype=bool)
    for index in range(len(timeline.anomalies)):
        rows |= _anomalous(index, timeline, block, seconds)
    return rows


def _anomalous(index: int, timeline: Timeline, block: Block, seconds: np.ndarray,
               ) -> np.ndarray:
    anomaly = timeline.anomalies[index]
    draws = block.rng(f"#anomaly{index}").random(block.size)  # no field has '#'
    inside = (seconds >= anomaly.start_s) & (seconds < anomaly.end_s)
    return inside & (draws < anomaly.fraction)

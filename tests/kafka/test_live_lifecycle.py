"""The live producer walks a lifecycle on the scaled clock: every window's episodes are sent
as the engine makes them, in event time across windows, and refuses one on the send-time
clock, which has no room for its delays."""

from __future__ import annotations

import json
from itertools import islice

import numpy as np
import pyarrow.compute as pc
import pytest

from services.generator import entity_tables, generate_table
from services.kafka.events import render
from services.kafka.live import LiveSource, window_span_s, window_start_s
from services.schema import parse_schema
from tests.lifecycles import DOC

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
SEED = 9


def sent(chunk) -> list[tuple[str, dict]]:
    keys, values = render(chunk.events, slice(0, chunk.size), NOW + 10**7)  # not "now"
    return [(k.decode(), json.loads(v)) for k, v in zip(keys, values, strict=True)]


def window_rows(dataset, window: int) -> list[tuple[str, int, str]]:
    """What window `window` must send: (key, stamp, state), from the engine's own table."""
    table = generate_table(dataset, SEED + window, entities=entity_tables(dataset, SEED))
    table = table.take(pc.sort_indices(table["t"]))
    seconds = table["t"].cast("int64").to_numpy()
    stamps = seconds - window_start_s(dataset) + NOW + window * window_span_s(dataset)
    return [(f"{SEED}:{window}:{i}", int(at), state) for i, (at, state) in
            enumerate(zip(stamps, table["state"].to_pylist(), strict=True))]


def test_a_lifecycle_is_sent_as_the_engine_makes_it_in_event_time_across_windows():
    dataset = parse_schema(DOC)
    span = window_span_s(dataset)
    chunks = list(islice(LiveSource(dataset, SEED, None, time_scale=3600.0).chunks(NOW), 2))
    at = np.concatenate([c.send_ms for c in chunks])
    assert np.all(np.diff(at) >= 0)  # one order over the windows' seam
    for window, chunk in enumerate(chunks):
        got = [(key, int(np.datetime64(row["event_time"], "s").astype(int)), row["state"])
               for key, row in sent(chunk)]
        assert got == window_rows(dataset, window)  # ties keep the engine's order
        assert (NOW + window * span) * 1000 <= chunk.send_ms.min()
        assert chunk.send_ms.max() < (NOW + (window + 1) * span) * 1000
        assert {state for _, _, state in got} == {"a", "b", "c", "d"}


def test_live_generation_of_a_lifecycle_without_a_time_scale_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"entities\.users\.lifecycle: its rows are apart by "
                                         r"their delays in event time, which only --time-scale"):
        LiveSource(parse_schema(DOC), 1, None)

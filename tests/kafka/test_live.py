"""Live records without a broker: the engine's values, stamped now or on the scaled clock."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from itertools import islice

import numpy as np
import pandas as pd
import pytest

from services.generator import BLOCK_SIZE
from services.generator.engine import entity_path
from services.kafka.events import render
from services.kafka.live import LiveSource, entity_seed_of, window_span_s
from services.schema import Dataset, load_schema, parse_schema
from tests.schemas import CARD, RETAIL, generate

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def small_schema(**extra: object) -> Dataset:
    raw = {"seed": 3, "entity_count": 400,
           "time_window": {"start": "2025-05-01T00:00:00", "end": "2025-05-01T00:59:59"},
           "schema": {"fields": [
               {"name": "order_id", "type": "id_sequence"},
               {"name": "sold_at", "type": "datetime", "mode": "uniform", **extra},
               {"name": "shop", "type": "category", "choices": ["A", "B"]},
               {"name": "price", "type": "float", "decimals": 2}]}}
    return parse_schema(raw, source="small.json")


def test_now_mode_sends_the_engine_values_stamped_with_the_send_time(tmp_path):
    dataset = load_schema(CARD)
    chunk = next(LiveSource(dataset, 5, "city").chunks())
    assert chunk.size == BLOCK_SIZE
    keys, values = render(chunk.events, slice(0, 3000), NOW)
    sent = [json.loads(v) for v in values]
    # the same block, as the generator writes it to JSONL (one full block, same seed)
    path = generate(CARD, tmp_path, BLOCK_SIZE, fmt="jsonl", seed=5)
    with path.open() as handle:
        expected = [json.loads(line) for line in islice(handle, 3000)]
    for row in expected:
        row["event_time"] = iso(NOW)
    assert sent == expected
    assert keys == [row["city"].encode() for row in expected]


def test_now_mode_adds_event_time_and_keeps_going(tmp_path):
    source = LiveSource(load_schema(RETAIL), 5, "product")
    first, second = islice(source.chunks(), 2)
    _, values = render(second.events, slice(0, 2), NOW + 1)
    row = json.loads(values[0])
    assert row["order_time"] == row["event_time"] == iso(NOW + 1)
    assert list(row)[-1] == "event_time"
    assert row["order_id"] == 100001 + BLOCK_SIZE  # ids go on from block to block
    _, again = render(first.events, slice(0, 2), NOW)
    assert json.loads(again[0])["order_id"] == 100001


def test_the_timestamp_field_keeps_its_own_format():
    source = LiveSource(small_schema(format="epoch_ms"), 1, None)
    _, values = render(next(source.chunks()).events, slice(0, 1), NOW)
    row = json.loads(values[0])
    assert row["sold_at"] == NOW * 1000 and row["event_time"] == iso(NOW)


def test_scaled_mode_replays_each_window_in_order_shifted_to_the_run_start():
    dataset = small_schema()
    span = window_span_s(dataset)
    assert span == 3600
    chunks = LiveSource(dataset, 9, "shop", time_scale=60.0).chunks(NOW)
    for window, chunk in enumerate(islice(chunks, 2)):
        at = chunk.send_ms
        assert chunk.size == 400 and len(at) == 400
        assert np.all(np.diff(at) >= 0)
        low, high = (NOW + window * span) * 1000, (NOW + (window + 1) * span) * 1000
        assert at.min() >= low and at.max() < high
        _, values = render(chunk.events, slice(0, chunk.size), NOW + 10**6)  # not "now"
        rows = [json.loads(v) for v in values]
        assert [r["event_time"] for r in rows] == [iso(ms // 1000) for ms in at]
        assert all(r["sold_at"] == r["event_time"] for r in rows)
        ids = [r["order_id"] for r in rows]
        assert sorted(ids) == list(range(1, 401))  # a fresh window of entity_count records


def test_live_source_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="key field 'nope' is not a field"):
        LiveSource(load_schema(CARD), 1, "nope")
    untimed = parse_schema({"schema": {"fields": [{"name": "a", "type": "uuid"}]}}, source="u.json")
    with pytest.raises(ValueError, match="--time-scale needs a datetime field"):
        LiveSource(untimed, 1, None, time_scale=10)
    _, values = render(next(LiveSource(untimed, 1, None).chunks()).events, slice(0, 1), NOW)
    assert set(json.loads(values[0])) == {"a", "event_time"}


def test_live_cards_keep_their_attributes_across_windows_and_match_the_extract(tmp_path):
    """Entities come from --seed, else the schema's seed: the cards of the extract the
    generator writes with that seed, the same in every scaled window."""
    dataset = load_schema(CARD).with_overrides(entity_count=3000)
    path = generate(CARD, tmp_path, 10, seed=dataset.seed)  # the cards of seed 42
    cards = pd.read_csv(entity_path(path, dataset, "cards")).set_index("card_id")
    assert entity_seed_of(dataset, None, 77) == 42 and entity_seed_of(dataset, 5, 77) == 5
    source = LiveSource(dataset, 77, "card_id", time_scale=60.0,
                        entity_seed=entity_seed_of(dataset, None, 77))
    seen = []
    for chunk in islice(source.chunks(NOW), 2):
        _, values = render(chunk.events, slice(0, chunk.size), NOW)
        rows = pd.DataFrame([json.loads(v) for v in values])
        card = cards.loc[rows["card_id"]]
        assert list(rows["card_home_city"]) == list(card["home_city"])
        assert list(rows["card_limit"]) == list(card["credit_limit"])
        seen.append(set(rows["card_id"]))
    assert len(seen[0] & seen[1]) > 500  # the popular cards pay in both windows

"""Replays seen as the streaming job sees them, and a schema of every value type."""

from __future__ import annotations

import json

import numpy as np

from services.kafka.events import render
from services.kafka.replay import Replay

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
NOW_ISO = "2026-01-01T00:00:00"


def payloads(replay: Replay, shuffle: bool = False, now: int = NOW,
             seed: int = 1) -> tuple[list, list[dict]]:
    chunk = next(replay.passes(shuffle, False, np.random.default_rng(seed)))
    keys, values = render(chunk.events, chunk.rows, now)
    assert all(isinstance(v, bytes) for v in values)
    return keys, [json.loads(v) for v in values]


EVERY_TYPE = {
    "seed": 1, "entity_count": 100,
    "schema": {"fields": [
        {"name": "id", "type": "id_sequence", "start": 10},
        {"name": "seen", "type": "datetime", "mode": "ramp", "null_prob": 0.1},
        {"name": "ms", "type": "datetime", "format": "epoch_ms"},
        {"name": "day", "type": "datetime", "format": "%d/%m/%Y %H:%M"},
        {"name": "n", "type": "int", "min": -5, "max": 5, "null_prob": 0.2},
        {"name": "x", "type": "float", "distribution": "normal", "decimals": 3},
        {"name": "flag", "type": "bool"},
        {"name": "size", "type": "category", "choices": [1, 2.5, 4]},
        {"name": "yes", "type": "category", "choices": [True, False]},
        {"name": "at", "type": "geo"},
        {"name": "at_text", "type": "geo", "as_object": False},
        {"name": "code", "type": "string", "pattern": "Q\\{A-Z}\"{0-9},"},
        {"name": "joined", "type": "derived_concat", "parts": ["code", "n"]},
        {"name": "price", "type": "derived_map", "from_field": "yes",
         "map": {"true": 1.5, "false": 2}, "default": 0},
        {"name": "who", "type": "faker", "provider": "name"},
    ]},
    "analysis": {"dimensions": ["size"]},
}

"""A small lifecycle document for the schema, generator and Spark tests: episodes that cross
many block boundaries (short window, many starts), a loop (b -> a), an `end` probability,
a timeout, per-state fields, and a lookup of the entity."""

from __future__ import annotations

import copy

DOC = {
    "seed": 3, "entity_count": 1000,
    "time_window": {"start": "2025-01-01T00:00:00", "end": "2025-01-01T23:59:59"},
    "entities": {"users": {
        "count": 40,
        "fields": [{"name": "user_id", "type": "id_sequence"},
                   {"name": "tier", "type": "category", "choices": ["gold", "plain"]}],
        "lifecycle": {
            "state_field": "state", "initial": "a", "delay_unit": "minutes",
            "max_delay": 30, "max_steps": 12,
            "states": {
                "a": {"end": 0.1, "transitions": [
                    {"to": "b", "p": 0.6, "delay": {"distribution": "exponential",
                                                    "lambda": 1}},
                    {"to": "c", "p": 0.3, "delay": {"distribution": "uniform", "min": 1,
                                                    "max": 5}}]},
                "b": {"timeout": {"after": 2, "to": "d"}, "transitions": [
                    {"to": "a", "p": 0.5, "delay": {"distribution": "lognormal", "mean": 0,
                                                    "stddev": 1}},
                    {"to": "d", "p": 0.5, "delay": {"distribution": "empirical",
                                                    "quantiles": [0.5, 1, 4]}}]},
                "c": {"terminal": True},
                "d": {"terminal": True}},
            "fields": {"c": [{"name": "amount", "type": "float", "min": 10, "max": 20}],
                       "d": [{"name": "reason", "type": "category", "choices": ["x", "y"]}]},
        }}},
    "schema": {"fields": [
        {"name": "eid", "type": "id_sequence"},
        {"name": "t", "type": "datetime", "mode": "seasonality",
         "profile": {"hour_of_day": {"3": 0, "_default": 1}}},
        {"name": "user", "type": "ref", "entity": "users"},
        {"name": "tier", "type": "lookup", "ref": "user", "attribute": "tier"}]},
}


def doc(**lifecycle) -> dict:
    """DOC with the lifecycle's keys replaced (None removes one)."""
    out = copy.deepcopy(DOC)
    cycle = out["entities"]["users"]["lifecycle"]
    for key, value in lifecycle.items():
        if value is None:
            cycle.pop(key, None)
        else:
            cycle[key] = value
    return out

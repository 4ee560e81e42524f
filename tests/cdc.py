"""The lifecycle document of tests/lifecycles.py as a change stream: each episode a row of
`episodes` keyed by `eid`, deleted on entering `d`; a field on `b` (entered again after
a -> b -> a) shows the carry of a per-state field and its redraw."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

from tests.lifecycles import doc

FIELDS = {"b": [{"name": "note", "type": "category", "choices": ["p", "q", "r"]}],
          "c": [{"name": "amount", "type": "float", "min": 10, "max": 20, "decimals": 2}]}
CHANGES = {"key": "eid", "table": "episodes", "deletes": ["d"]}


def cdc_doc(**changes) -> dict:
    """The document with `changes` (its keys replaced by `changes`; None removes one)."""
    out = doc(fields=copy.deepcopy(FIELDS), changes=dict(CHANGES))
    spec = out["entities"]["users"]["lifecycle"]["changes"]
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return out


def envelopes(path: Path) -> list[dict]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.decode().splitlines()]

"""Making extracts from schemas and inferring schemas from them, for the inference tests."""

from __future__ import annotations

import json
from pathlib import Path

from services.commands import generate as generate_main
from services.infer.infer import infer_schema
from services.infer.samples import read_samples
from services.schema import parse_schema


def generate(schema: dict | Path, out: Path, n: int, seed: int = 3) -> Path:
    """Write `n` rows of the schema (a file, or a dict written beside `out`) to `out`."""
    if isinstance(schema, dict):
        config = out.with_name(out.name.split(".")[0] + ".schema.json")
        config.write_text(json.dumps(schema))
        schema = config
    args = ["--config", str(schema), "--out", str(out), "--n", str(n), "--seed", str(seed),
            "--no-progress", "--log-level", "WARNING"]
    assert generate_main(args) == 0
    return out


def infer(*paths: Path, limit: int | None = None) -> dict:
    """The inferred schema, checked to pass validation like the written file must."""
    doc = infer_schema(read_samples(paths, limit))
    parse_schema(doc)
    return doc


def fields(doc: dict) -> dict[str, dict]:
    return {f["name"]: f for f in doc["schema"]["fields"]}


def shares(choices: list) -> dict:
    """Each choice's share; a plain value has weight 1."""
    pairs = [(c["value"], c["weight"]) if isinstance(c, dict) else (c, 1.0) for c in choices]
    total = sum(w for _, w in pairs)
    return {v: w / total for v, w in pairs}

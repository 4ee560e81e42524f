"""Avro extracts replay as their CSV twins: the same rows read, the same events sent
(the reader is services.extracts.avro_reader; tests/extracts/test_avro_reader.py holds it to
the CSV text of every field type)."""

from __future__ import annotations

import json

import pytest

from services.kafka.replay import load_replay
from services.schema import load_schema
from tests.kafka.replays import EVERY_TYPE, payloads
from tests.schemas import CARD, RETAIL, generate


@pytest.mark.parametrize("schema", [CARD, RETAIL, "every-type"])
@pytest.mark.parametrize("with_schema", [True, False], ids=["typed", "untyped"])
def test_avro_replay_sends_the_events_of_the_same_rows_as_csv(tmp_path, schema, with_schema):
    if schema == "every-type":
        schema = tmp_path / "every.json"
        schema.write_text(json.dumps(EVERY_TYPE))
    dataset = load_schema(schema)
    csv_path = generate(schema, tmp_path / "csv", 3000, seed=5)
    avro_path = generate(schema, tmp_path / "avro", 3000, fmt="avro", seed=5)
    typed, key = (dataset, dataset.analysis.dimensions[0]) if with_schema else (None, None)
    csv_replay = load_replay([csv_path], typed, key)
    from_csv = payloads(csv_replay)
    from_avro = payloads(load_replay([avro_path], typed, key))
    assert len(from_avro[1]) == 3000 - csv_replay.bad_rows
    assert from_avro[1] == from_csv[1]
    if key:  # else each event's id names its own file and line
        assert from_avro[0] == from_csv[0]

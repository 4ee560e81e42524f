"""Avro encoded a column at a time is byte for byte what fastavro writes a record at a time:
every kind, the edges of varints and of decimals' byte counts, nulls in unions, text that
is not ASCII."""

from __future__ import annotations

import io
from decimal import Decimal

import fastavro
import numpy as np
import pyarrow as pa
import pytest

from services.common.avro_columns import decimals, encode_records, longs
from services.schema import EventField

EDGES = [0, 1, -1, 63, -64, 64, -65, 8191, 8192, -8193, 2**31, -(2**31) - 1, 2**62,
         2**63 - 1, -(2**63)]


def fastavro_bytes(schema: object, value: object) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return out.getvalue()


def test_longs_at_every_varint_edge() -> None:
    got = longs(np.array(EDGES, dtype=np.int64)).to_pylist()
    assert got == [fastavro_bytes("long", v) for v in EDGES]


@pytest.mark.parametrize("top", range(len(EDGES)))
def test_longs_of_a_column_whose_longest_value_is_short(top: int) -> None:
    """A column takes as many byte lanes as its longest value: each width on its own."""
    values = [v for v in EDGES if abs(v) <= abs(EDGES[top])]
    assert longs(np.array(values, dtype=np.int64)).to_pylist() == [
        fastavro_bytes("long", v) for v in values]
    assert longs(np.array([], dtype=np.int64)).to_pylist() == []


@pytest.mark.parametrize("scale", [0, 2, 4])
def test_decimals_in_the_fewest_bytes_with_their_sign(scale: int) -> None:
    unscaled = [0, 1, -1, 127, 128, -128, -129, 32767, 32768, -32769, 2**23, -(2**31),
                10**12, -(10**12) + 1]  # money read from JSON floats: 15 digits hold
    values = np.array([u / 10**scale for u in unscaled])
    schema = {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": scale}
    expected = [fastavro_bytes(schema, Decimal(u).scaleb(-scale)) for u in unscaled]
    assert decimals(values, scale).to_pylist() == expected


def test_records_of_every_kind_with_nulls_match_fastavro() -> None:
    rng = np.random.default_rng(3)
    n = 300
    fields = [EventField("id", "uuid", False), EventField("name", "string", True),
              EventField("count", "long", True), EventField("price", "double", False),
              EventField("money", "decimal", True, scale=2), EventField("flag", "boolean", True),
              EventField("at", "timestamp", False, "iso"), EventField("where", "geo", True)]
    words = ["", "plain", "çà et là", "日本語", "emoji 🙂", 'quote " and \\']
    nulls = rng.random((len(fields), n)) < 0.2
    values = {
        "id": [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)],
        "name": [words[i % len(words)] for i in range(n)],
        "count": rng.integers(-(2**40), 2**40, n).tolist(),
        "price": rng.normal(0, 1e6, n).tolist(),
        "money": np.round(rng.normal(0, 1e5, n), 2).tolist(),
        "flag": (rng.random(n) < 0.5).tolist(),
        "at": rng.integers(0, 2**41, n).tolist(),
        "where": [{"lat": float(a), "lon": float(b)} for a, b in rng.normal(0, 50, (n, 2))],
    }
    for f, mask in zip(fields, nulls, strict=True):
        if f.nullable:
            values[f.name] = [None if m else v for v, m in zip(values[f.name], mask,
                                                               strict=True)]
    arrow_types = {"where": pa.struct([("lat", pa.float64()), ("lon", pa.float64())])}
    columns = [pa.array(values[f.name], arrow_types.get(f.name)) for f in fields]
    got = encode_records(fields, columns, b"\x00\x00\x00\x00\x2a")

    avro_kinds = {"uuid": "string", "string": "string", "long": "long", "double": "double",
                  "boolean": "boolean", "timestamp": "long",
                  "decimal": {"type": "bytes", "logicalType": "decimal", "precision": 18,
                              "scale": 2},
                  "geo": {"type": "record", "name": "g", "fields": [
                      {"name": "lat", "type": "double"}, {"name": "lon", "type": "double"}]}}
    schema = {"type": "record", "name": "r", "fields": [
        {"name": f.name, "type": ["null", avro_kinds[f.kind]] if f.nullable
         else avro_kinds[f.kind]} for f in fields]}
    for row, message in enumerate(got):
        record = {f.name: values[f.name][row] for f in fields}
        if record["money"] is not None:
            record["money"] = Decimal(str(record["money"])).quantize(Decimal("0.01"))
        assert message == b"\x00\x00\x00\x00\x2a" + fastavro_bytes(schema, record), row

"""Avro binary encoding a column at a time: each field's values become their Avro bytes for
the whole slice with numpy and Arrow kernels, and a record is the join of its fields' bytes
(Avro's binary record is exactly that: its fields in order, nothing between them).

Per Avro's specification: long as zig-zag varint; double as 8 bytes little-endian; boolean
one byte; string and bytes as a long length then the bytes; a union as the branch index (a
long) then the value; a decimal as bytes, the unscaled integer big-endian two's complement
in as many bytes as its magnitude's bits and a sign bit fill (as fastavro writes it: -128
takes two, where Java's BigInteger writes one; readers take both); a record, its fields. The
tests hold every kind byte for byte against fastavro's own writer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.schema import EventField

Binary = pa.Array
NULL_BRANCH, VALUE_BRANCH = b"\x00", b"\x02"  # union index 0 (null) and 1, as varints
LONG_BYTES = 10  # a 64-bit zig-zag varint takes at most 10 bytes


def _binary(data: np.ndarray, lengths: np.ndarray) -> Binary:
    """A binary array over `data` (uint8), each value the next `lengths[i]` bytes."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(pa.binary(), len(lengths),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _fixed(values: np.ndarray) -> Binary:
    """Each value's own bytes (its dtype says the width and byte order)."""
    data = np.ascontiguousarray(values)
    return _binary(data.view(np.uint8), np.full(len(data), data.itemsize))


def longs(values: np.ndarray) -> Binary:
    """Zig-zag varints of int64 values, in as many byte lanes as the longest one needs."""
    signed = values.astype(np.int64)
    zigzag = ((signed << 1) ^ (signed >> 63)).view(np.uint64)
    top = int(zigzag.max()) if len(zigzag) else 0
    width = min(LONG_BYTES, max(1, -(-top.bit_length() // 7)))  # the longest value's bytes
    shifts = np.arange(width, dtype=np.uint64) * np.uint64(7)
    groups = ((zigzag[:, None] >> shifts) & np.uint64(0x7F)).astype(np.uint8)
    lengths = 1 + (zigzag[:, None] >= (np.uint64(1) << shifts[1:])).sum(axis=1)
    more = np.arange(width) < (lengths[:, None] - 1)
    groups |= more.astype(np.uint8) << 7
    keep = np.arange(width) < lengths[:, None]
    return _binary(groups[keep], lengths)


def doubles(values: np.ndarray) -> Binary:
    return _fixed(values.astype("<f8"))


def booleans(values: np.ndarray) -> Binary:
    return _fixed(values.astype(np.uint8))


def text(values: pa.Array) -> Binary:
    """Strings or bytes: the length as a long, then the bytes."""
    raw = values.cast(pa.binary())
    lengths = pc.binary_length(raw).to_numpy(zero_copy_only=False)
    return pc.binary_join_element_wise(longs(lengths), raw, b"")


def decimals(values: np.ndarray, scale: int) -> Binary:
    """Decimal values (floats rounded to `scale` places) as Avro's decimal bytes."""
    unscaled = np.round(np.round(values, scale) * 10.0 ** scale).astype(">i8")
    signed = unscaled.astype(np.int64)
    magnitude = np.abs(signed)
    needed = np.ones(len(signed), dtype=np.int64)
    for width in range(1, 8):  # the magnitude's bits and a sign bit, in whole bytes
        needed += magnitude >= (1 << (8 * width - 1))
    octets = unscaled.view(np.uint8).reshape(-1, 8)
    keep = np.arange(8) >= (8 - needed[:, None])
    return pc.binary_join_element_wise(longs(needed), _binary(octets[keep], needed), b"")


def _numbers(column: pa.Array, fill: float | int | bool) -> np.ndarray:
    return pc.fill_null(column, fill).to_numpy(zero_copy_only=False)


def encode_field(field: EventField, column: pa.Array) -> Binary:
    """The Avro bytes of one field for every row (with the union branch where nullable)."""
    kind = field.kind
    if kind in ("long", "timestamp"):
        out = longs(_numbers(column, 0))
    elif kind == "double":
        out = doubles(_numbers(column, 0.0))
    elif kind == "boolean":
        out = booleans(_numbers(column, False))
    elif kind == "decimal":
        out = decimals(_numbers(column, 0.0), field.scale or 0)
    elif kind == "geo":
        out = pc.binary_join_element_wise(
            doubles(_numbers(pc.struct_field(column, "lat"), 0.0)),
            doubles(_numbers(pc.struct_field(column, "lon"), 0.0)), b"")
    else:  # string, uuid
        out = text(pc.fill_null(column, ""))
    if not field.nullable:
        return out
    return pc.if_else(column.is_null(), pa.scalar(NULL_BRANCH, pa.binary()),
                      pc.binary_join_element_wise(VALUE_BRANCH, out, b""))


def encode_records(fields: Sequence[EventField], columns: Sequence[pa.Array],
                   prefix: bytes) -> list[bytes]:
    """`prefix` (the wire-format header) and each row's record, as bytes per row."""
    parts = [encode_field(f, c) for f, c in zip(fields, columns, strict=True)]
    return pc.binary_join_element_wise(prefix, *parts, b"").to_pylist()


def _probes() -> pa.Array:
    """Instants whose text shows every field (made on use: converting Python ints to
    timestamps imports pandas, 0.2 s of every worker's start)."""
    return pa.array([0, 951_868_799, 1_709_208_000, 1_741_064_767], pa.timestamp("s"))


def reads_back(time_format: str) -> bool:
    """Whether Arrow's strptime reads a time written with this strftime format back to the
    instant its text names: an Avro timestamp is made that way from the text a file shows.
    Some codes Arrow writes but cannot read (ISO weeks: %G, %V, %u) would read as 1900."""
    text = pc.strftime(_probes(), format=time_format)
    back = pc.strptime(text, format=time_format, unit="s", error_is_null=True)
    if back.null_count:
        return False
    return pc.all(pc.equal(pc.strftime(back, format=time_format), text)).as_py()

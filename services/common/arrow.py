"""Small pyarrow helpers the column functions and renderers share."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def fixed_width_strings(matrix: np.ndarray) -> pa.StringArray:
    """An (n, width) uint8 matrix of UTF-8 bytes as a string array, without a per-row loop."""
    rows, width = matrix.shape
    offsets = np.arange(0, width * (rows + 1), width, dtype=np.int32)
    data = np.ascontiguousarray(matrix).tobytes()
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def byte_table(chars: bytes | range) -> np.ndarray:
    """A 256-entry lookup table marking the given byte values."""
    table = np.zeros(256, dtype=bool)
    table[list(chars)] = True
    return table


def any_byte(strings: pa.Array, table: np.ndarray) -> bool:
    """True when any value of a string array contains a byte marked in `table` (one pass)."""
    if len(strings) == 0:
        return False
    buffers = strings.buffers()
    if buffers[2] is None:
        return False
    offset_type = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    offsets = np.frombuffer(buffers[1], dtype=offset_type)
    first, last = offsets[strings.offset], offsets[strings.offset + len(strings)]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[first:last]
    return bool(table[data].any())


def values_bytes(strings: pa.Array) -> pa.Buffer:
    """The concatenated bytes of a string array's values, zero-copy."""
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)
    first, last = int(offsets[strings.offset]), int(offsets[strings.offset + len(strings)])
    if buffers[2] is None:
        return pa.py_buffer(b"")
    return buffers[2].slice(first, last - first)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of arrays and literal strings."""
    return pc.binary_join_element_wise(*parts, "")


def with_nulls(values: pa.Array, mask: np.ndarray | None) -> pa.Array:
    """Set the rows where `mask` is true to null."""
    if mask is None or not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)

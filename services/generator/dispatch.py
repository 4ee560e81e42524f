"""The one dispatch point from a field model to the function that fills its column.

The built-in column functions (columns.py, numbers.py) and the entity links (links.py) register
themselves with `column_for` when imported here; a registered field type without a column
function fails at import, not when rows are made.
"""

from __future__ import annotations

import pyarrow as pa

from services.generator import (
    links,  # noqa: F401 (registers ref, lookup and compare)
    numbers,  # noqa: F401 (registers int and float)
)
from services.generator.block import Block
from services.generator.columns import COLUMNS
from services.schema import FIELD_TYPES, Field

_missing = [name for name, cls in FIELD_TYPES.items() if cls not in COLUMNS]
if _missing:
    raise ImportError(f"field types without a column function: {', '.join(_missing)}")


def column(field: Field, block: Block) -> pa.Array:
    """A whole block's values of `field`."""
    return COLUMNS[type(field)](field, block)

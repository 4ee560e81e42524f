"""Schema documents for the schema tests, and the problems a document is refused with."""

from __future__ import annotations

import pytest

from services.schema import SchemaError, parse_schema


def schema(*fields, **top):
    return {"schema": {"fields": list(fields)}, **top}


def problems_of(data) -> list[str]:
    with pytest.raises(SchemaError) as caught:
        parse_schema(data, source="test.json")
    return [str(p) for p in caught.value.problems]

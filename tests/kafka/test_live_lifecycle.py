"""The live producer refuses a lifecycle in one line (its rows are replayed from an extract)."""

from __future__ import annotations

import pytest

from services.kafka.live import LiveSource
from services.schema import parse_schema
from tests.lifecycles import DOC


def test_live_generation_of_a_lifecycle_is_refused_with_a_reason():
    with pytest.raises(ValueError, match=r"--generate does not walk lifecycles yet \(entities"
                                         r"\.users\.lifecycle\): generate an extract"):
        LiveSource(parse_schema(DOC), 1, None)

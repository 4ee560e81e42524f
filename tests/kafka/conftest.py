"""Fixtures of the producer tests: a private broker that a test may stop and start again (the
session broker must stay up for the others)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.infra import net
from tests.kafka.producer_script import PrivateBroker


@pytest.fixture
def private_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    """Not started: the test decides when. Stopped (by its recorded pid) at the end."""
    broker = PrivateBroker(tmp_path_factory.mktemp("private-kafka"), net.free_ports(1)[0])
    try:
        yield broker
    finally:
        broker.stop()

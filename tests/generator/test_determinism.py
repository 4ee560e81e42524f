"""Same file + seed + count gives byte-identical output whatever the worker count."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from services.generator import write_dataset
from services.generator.block import BLOCK_SIZE
from services.schema import Dataset, load_schema
from tests.schemas import CARD


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests_by_workers(ds: Dataset, folder: Path, seed: int, workers: tuple[int, ...],
                       suffix: str = "csv") -> set[str]:
    """The distinct digests of the file written once per worker count (one when identical)."""
    digests = set()
    for count in workers:
        path = folder / f"w{count}.{suffix}"
        write_dataset(ds, path, seed=seed, workers=count)
        digests.add(digest(path))
    return digests


@pytest.mark.parametrize("fmt,gz", [("csv", False), ("jsonl", True), ("parquet", False),
                                    ("avro", False)])
def test_identical_for_any_worker_count(tmp_path, fmt, gz):
    ds = load_schema(CARD).with_overrides(entity_count=3 * BLOCK_SIZE + 123,
                                          output_format=fmt, gzip=gz)
    assert len(digests_by_workers(ds, tmp_path, 99, (1, 2, 3), fmt)) == 1


def test_seed_changes_the_data_and_repeats_exactly(tmp_path):
    ds = load_schema(CARD).with_overrides(entity_count=5000)
    paths = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        paths.append(tmp_path / f"{name}.csv")
        write_dataset(ds, paths[-1], seed=seed)
    a, b, c = (digest(p) for p in paths)
    assert a == b != c

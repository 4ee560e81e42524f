"""--engine spark --cdc: the change parts, each made in its own task with its carry made
again from the blocks that reach it, concatenate to the single-process change file, and the
final table's parts in _final/ to its final table."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.stores import LocalStore
from services.generator.block import BLOCK_SIZE
from services.generator.change_output import FINAL_FOLDER, write_changes
from services.generator.encoders import encoder_for
from services.generator.parts import SUCCESS, PartPlan
from services.generator.target import Target
from services.schema import parse_schema
from services.spark.generate import generate
from tests.cdc import cdc_doc

EPISODES = 2 * BLOCK_SIZE + 777
SEED = 31


def parts_of(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.name.startswith("part-")]


@pytest.mark.spark
@pytest.mark.parametrize("fmt,gz", [("csv", True), ("jsonl", False)])
def test_change_parts_concatenate_to_the_single_process_files(spark, tmp_path, fmt, gz):
    ds = parse_schema(cdc_doc()).with_overrides(entity_count=EPISODES, output_format=fmt,
                                                gzip=gz)
    out = tmp_path / "parts"
    plan = PartPlan(ds, SEED, part_blocks=1, cdc=True, cdc_gzip=gz)
    result = generate(spark, plan, Target(LocalStore(), str(out), out.as_uri()))
    assert result.parts == 3 and (out / SUCCESS).exists()
    assert plan.name(0) == "part-00000.jsonl" + (".gz" if gz else "")
    suffix = ".jsonl.gz" if gz else ".jsonl"
    single = write_changes(ds, tmp_path / f"one.changes{suffix}",
                           tmp_path / FINAL_FOLDER / f"one{ds.output.suffix}", gz, SEED,
                           workers=2)
    changes = parts_of(out)
    assert len(changes) == 3 and all(changes)
    assert b"".join(changes) == single.path.read_bytes()
    assert result.rows == single.changes
    header = encoder_for(plan.dataset).header_bytes()
    tables = parts_of(out / FINAL_FOLDER)
    assert len(tables) == 3 and all(t.startswith(header) for t in tables)
    joined = tables[0] + b"".join(t[len(header):] for t in tables[1:])
    assert joined == single.final_path.read_bytes()

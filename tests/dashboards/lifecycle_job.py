"""Outputs of the real batch job over orders generated from the shipped lifecycle schema
(retail_order_lifecycle.json), for the funnel card's API and browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from services.outputs import BatchOutputs
from tests.dashboards.fixtures import LIFECYCLE_SCHEMA
from tests.schemas import generate
from tests.spark.batch.recompute import run_job, settings_for


@dataclass(frozen=True)
class LifecycleRun:
    outputs: BatchOutputs
    extract: Path  # the generated orders the job read

    def funnel_rows(self) -> pd.DataFrame:
        """The funnel CSV as written, read by pandas alone."""
        parts = sorted(self.outputs.funnel_dir.glob("part-*.csv"))
        return pd.concat([pd.read_csv(p, dtype={"next_state": str}) for p in parts],
                         ignore_index=True)


def run_lifecycle_job(spark, tmp: Path, orders: int = 1500) -> LifecycleRun:
    """`orders` lifecycles (two weeks of starts) through the batch job; its outputs."""
    inputs = tmp / "input"
    inputs.mkdir(parents=True)
    extract = generate(LIFECYCLE_SCHEMA, inputs, orders, seed=4)
    settings = settings_for(tmp, inputs, SCHEMA_CONFIG_PATH=str(LIFECYCLE_SCHEMA))
    assert run_job(spark, settings) == 0
    return LifecycleRun(BatchOutputs(Path(settings.out_local_csv)), extract)

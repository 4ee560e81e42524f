"""The project's commands: console scripts once installed (pyproject's [project.scripts]),
and what the original script paths and `python -m` modules call. Each runs its service's
`main` under `services.common.cli.run` (one-line errors, exit codes). A command imports its
service only when called: the generator should not pay for pyspark's import.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass

from services.common.cli import run


@dataclass(frozen=True)
class Command:
    target: str  # "module:function", the function taking argv and returning an exit code

    def __call__(self, argv: Sequence[str] | None = None) -> int:
        module, function = self.target.split(":")
        return run(getattr(importlib.import_module(module), function), argv)


generate = Command("services.generator.cli:main")
infer_schema = Command("services.infer.cli:main")
batch_job = Command("services.spark.batch_job:main")
produce = Command("services.kafka.cli:main")
streaming_job = Command("services.spark.streaming_job:main")
load_hdfs = Command("services.hdfs_load:main")
demo = Command("services.demo.cli:main")
infra = Command("services.infra.cli:main")
cleanup = Command("services.cleanup:main")
batch_dashboard = Command("dashboard.serve:main")
streaming_dashboard = Command("streaming_dashboard.serve:main")

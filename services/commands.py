"""The project's commands: console scripts once installed (pyproject's [project.scripts]),
and what the script paths under services/ and the `python -m` modules call. Each runs its service's
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


def generator_main(argv: Sequence[str] | None = None) -> int:
    """`sdp-generate`: the generator's command line (services.generator.cli), run by the
    engine it asks for: this process (`run_local`) or Spark tasks (services.spark.generate,
    imported only then: a local run does not pay for pyspark)."""
    cli = importlib.import_module("services.generator.cli")
    options = cli.parse_args(argv)
    dataset = cli.prepare(options)
    if dataset is None:  # --validate
        return 0
    if options.engine == "spark":
        return importlib.import_module("services.spark.generate").run_command(options, dataset)
    return cli.run_local(options, dataset)


generate = Command("services.commands:generator_main")
infer_schema = Command("services.infer.cli:main")
batch_job = Command("services.spark.batch_job:main")
produce = Command("services.kafka.cli:main")
expect = Command("services.kafka.expect:main")
streaming_job = Command("services.spark.streaming_job:main")
verify = Command("services.streamcheck.cli:main")
load_hdfs = Command("services.hdfs_loader:main")
demo = Command("services.demo.cli:main")
infra = Command("services.infra.cli:main")
cleanup = Command("services.cleanup:main")
batch_dashboard = Command("dashboard.serve:main")
streaming_dashboard = Command("streaming_dashboard.serve:main")

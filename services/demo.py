"""`make demo`: generate the dataset into data/input, then run the batch job on it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from services.common.cli import ArgumentParser, run
from services.generator import cli as generator_cli

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"


def batch_env(schema: str) -> dict[str, str]:
    """The batch job's settings pointed at ./data (the containers use /opt/spark-data)."""
    return {
        **os.environ,
        "SCHEMA_CONFIG_PATH": schema,
        "USE_HDFS": "false",
        "INPUT_PATH": str(DATA / "input"),
        "OUT_PARQUET": str(DATA / "output" / "analysis_parquet"),
        "OUT_LOCAL_CSV": str(DATA / "output" / "analysis_csv"),
        "INPUT_WAIT_SECONDS": "30",
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="make demo", description="Run the platform's demo.")
    parser.add_argument("--schema",
                        default=str(REPO / "services/batch/schemas/card_transactions.json"))
    parser.add_argument("--rows", type=int, help="rows to generate (default: the schema's)")
    args = parser.parse_args(argv)
    schema = str(Path(args.schema).resolve())
    gen_args = ["--config", schema, "--output-dir", str(DATA / "input"), "--clear-output",
                "--workers", "0"]
    if args.rows is not None:
        gen_args += ["--n", str(args.rows)]
    status = generator_cli.main(gen_args)
    if status:
        return status
    print("running the Spark batch job (local mode) ...", flush=True)
    job = subprocess.run([sys.executable, str(REPO / "services/batch/pipeline_batch.py")],
                         env=batch_env(schema), check=False)
    if job.returncode == 0:
        print(f"batch outputs in {DATA / 'output'}: analysis_parquet/, analysis_csv/, "
              "analysis_csv_kpis/, analysis_csv_quality.json")
    return job.returncode


if __name__ == "__main__":
    sys.exit(run(main))

"""`make demo`: generate the default dataset into data/input and say what was written."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from services.common.cli import ArgumentParser, run
from services.generator import cli as generator_cli

REPO = Path(__file__).resolve().parents[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="make demo", description="Run the platform's demo.")
    parser.add_argument("--schema",
                        default=str(REPO / "services/batch/schemas/card_transactions.json"))
    parser.add_argument("--rows", type=int, help="rows to generate (default: the schema's)")
    args = parser.parse_args(argv)
    gen_args = ["--config", args.schema, "--output-dir", str(REPO / "data" / "input"),
                "--clear-output", "--workers", "0"]
    if args.rows is not None:
        gen_args += ["--n", str(args.rows)]
    return generator_cli.main(gen_args)


if __name__ == "__main__":
    sys.exit(run(main))

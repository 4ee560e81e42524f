"""Infer a schema file from a sample of real data, or compare synthetic data with real
data; see --help. The work is done by services.commands.infer_schema (`sdp-infer-schema`
once installed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run by path: find `services`
from services.commands import infer_schema

if __name__ == "__main__":
    sys.exit(infer_schema())

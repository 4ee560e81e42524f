"""The Spark batch pipeline: settings from the environment, see README.
The work is done by services.commands.batch_job (`sdp-batch-job` once installed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run by path: find `services`
from services.commands import batch_job

if __name__ == "__main__":
    sys.exit(batch_job())

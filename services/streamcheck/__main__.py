"""`python -m services.streamcheck ...`: the verifier, as `sdp-verify` (see cli.py)."""

import sys

from services.common.cli import run
from services.streamcheck.cli import main

sys.exit(run(main))

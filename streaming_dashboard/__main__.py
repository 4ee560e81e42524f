"""`python -m streaming_dashboard`: see streaming_dashboard/serve.py."""

import sys

from services.common.cli import run
from streaming_dashboard.serve import main

sys.exit(run(main))

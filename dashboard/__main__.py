"""`python -m dashboard`: see dashboard/serve.py."""

import sys

from dashboard.serve import main
from services.common.cli import run

sys.exit(run(main))

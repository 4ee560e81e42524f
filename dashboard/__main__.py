"""`python -m dashboard`: see dashboard/serve.py."""

import sys

from services.commands import batch_dashboard

sys.exit(batch_dashboard())

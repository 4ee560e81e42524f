"""`python -m streaming_dashboard`: see streaming_dashboard/serve.py."""

import sys

from services.commands import streaming_dashboard

sys.exit(streaming_dashboard())

"""`python -m services.demo`: see services.demo.cli."""

import sys

from services.commands import demo

sys.exit(demo())

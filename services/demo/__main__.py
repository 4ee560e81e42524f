"""`python -m services.demo`: see services.demo.cli."""

import sys

from services.common.cli import run
from services.demo.cli import main

sys.exit(run(main))

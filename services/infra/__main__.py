"""`python -m services.infra ...`: see services/infra/cli.py."""

import sys

from services.common.cli import run
from services.infra.cli import main

sys.exit(run(main))

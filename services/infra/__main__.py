"""`python -m services.infra ...`: see services/infra/cli.py."""

import sys

from services.commands import infra

sys.exit(infra())

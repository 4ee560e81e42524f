"""`python -m dashboard [--host H] [--port P]`: serve the batch dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from dashboard import create_app
from services.web.serve import serve_main


def main(argv: Sequence[str] | None = None) -> int:
    return serve_main(argv, prog="python -m dashboard", description="Batch dashboard",
                      create_app=create_app)

"""`python -m streaming_dashboard [--host H] [--port P]`: serve the streaming dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from services.web.serve import serve_main
from streaming_dashboard import create_app


def main(argv: Sequence[str] | None = None) -> int:
    return serve_main(argv, prog="python -m streaming_dashboard",
                      description="Streaming dashboard", create_app=create_app)

"""The errors of starting engines; each message says what to do about it."""

from __future__ import annotations


class EngineError(RuntimeError):
    """An engine could not be located, configured, started or stopped."""


class PortInUseError(EngineError):
    """A port an engine must bind is already taken by another process."""

    def __init__(self, port: int, purpose: str) -> None:
        self.port = port
        super().__init__(
            f"port {port} on 127.0.0.1 ({purpose}) is already in use: stop whatever listens "
            f"there or pick another port (--port)"
        )


class EngineStartError(EngineError):
    """An engine did not become ready; the message carries the tail of its logs."""


class PortRaceError(EngineStartError):
    """A port that was free when picked was taken before the engine could bind it."""

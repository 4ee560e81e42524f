"""A job's status file (services.outputs JOB_KEYS): what the job is doing, and why it
stopped when it failed, so a dashboard can say "the job failed: <reason>" instead of
waiting for output that will never come. Pure Python (no Spark): the streaming job's
container healthcheck runs it as

    python -m services.spark.job_status STATUS_FILE

which exits 0 when the file says the job is running and was written by a run that started
after this container did (a file left by an earlier run does not count), else 1.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from services.common.files import write_json_atomic
from services.outputs import ENDED_STATES, FAILED, JOB_STATES, RUNNING

log = logging.getLogger(__name__)
REASON_LIMIT = 500


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def one_line(reason: str, limit: int = REASON_LIMIT) -> str:
    """A reason as one line: its lines joined, spaces squeezed, cut at `limit` characters."""
    text = " ".join(reason.split()) or "no reason given"
    return text if len(text) <= limit else text[:limit - 3] + "..."


class JobStatus:
    """The status document of one run of a job, rewritten whole at every change. Without a
    path (the outputs are not local) it records nothing. Thread-safe: the streaming job's
    progress arrives on a listener thread."""

    def __init__(self, path: Path | None, carried: Sequence[str] = ()):
        """`carried`: keys taken over from the file an earlier run left (the streaming
        job's ledger goes on across restarts), before this run writes over it."""
        self.path = path
        self.lock = threading.Lock()
        self.document: dict[str, Any] = {**self._earlier(carried), "state": None,
                                         "started_at": utc_now(), "ended_at": None,
                                         "error": None}
        self._warned = False

    def _earlier(self, keys: Sequence[str]) -> dict[str, Any]:
        if self.path is None or not keys:
            return {}
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict):
            return {}
        return {key: document[key] for key in keys if key in document}

    @property
    def state(self) -> str | None:
        return self.document["state"]

    def set(self, state: str, error: str | None = None, **fields: Any) -> dict[str, Any]:
        """Enter `state` (a failure with its reason) and merge `fields`; returns what was
        written. An ended run stays ended: late progress does not bring it back."""
        if state not in JOB_STATES:
            raise ValueError(f"unknown job state {state!r}; expected one of {JOB_STATES}")
        with self.lock:
            if self.state in ENDED_STATES and state not in ENDED_STATES:
                return dict(self.document)
            self.document.update(fields)
            self.document.update({
                "state": state,
                "ended_at": utc_now() if state in ENDED_STATES else None,
                "error": one_line(error) if state == FAILED and error is not None
                else ("no reason given" if state == FAILED else None),
                "generated_at": utc_now(),
            })
            written = dict(self.document)
            self._write(written)
        return written

    def _write(self, document: dict[str, Any]) -> None:
        if self.path is None:
            return
        try:
            write_json_atomic(self.path, document)
        except OSError as exc:
            if not self._warned:  # once: a folder that cannot be written stays so
                log.warning("cannot write the status file %s: %s", self.path, exc)
                self._warned = True


def container_started_at() -> float:
    """When this container started (its first process, pid 1); outside a container, when
    the machine booted. Seconds since the epoch."""
    try:
        return psutil.Process(1).create_time()
    except (psutil.Error, OSError):
        return psutil.boot_time()


def parse_time(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def probe(path: Path, since: float, slack: float = 2.0) -> str | None:
    """None when `path` says a run that started at or after `since` is running, else why
    not (the job is starting, ended, or the file is an earlier run's)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"{path} does not exist yet"
    except (OSError, ValueError) as exc:
        return f"{path} cannot be read: {exc}"
    if not isinstance(document, dict):
        return f"{path} holds no JSON object"
    started = parse_time(document.get("started_at"))
    if started is None or started < since - slack:
        return f"{path} is an earlier run's (started {document.get('started_at')})"
    state = document.get("state")
    if state == FAILED:
        return f"the job failed: {document.get('error')}"
    if state != RUNNING:
        return f"the job is {state}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print(f"usage: python -m services.spark.job_status STATUS_FILE\n{__doc__}",
              file=sys.stderr)
        return 2
    problem = probe(Path(args[0]), container_started_at())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

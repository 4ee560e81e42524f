"""One JSON envelope for every API answer, and one error body for every failure under /api.

{"status": "ok" | "no_data" | "error", "data": ..., "generated_at": ISO Z, "message": text}
`message` is there whenever status is not ok. The HTTP status describes the request (200, or
400 for a bad parameter, 404/405, 500); the envelope's status describes the data, so a page
waiting for a job's first output polls quietly with 200s.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

OK, NO_DATA, ERROR = "ok", "no_data", "error"
log = logging.getLogger(__name__)


class OutputProblem(Exception):
    """The job's output cannot be shown (yet); the message says what is missing or wrong."""

    status = ERROR

    def __init__(self, message: str, data: Any = None):
        super().__init__(message)
        self.message = message
        self.data = data


class NoData(OutputProblem):
    """The output is not there yet (missing folder, no part file, empty file)."""

    status = NO_DATA


class BadData(OutputProblem):
    """The output is there but cannot be read (half-written, corrupt, wrong columns)."""

    status = ERROR


class BadRequest(OutputProblem):
    """A query parameter the API does not accept (see services.web.params); HTTP 400."""

    status = ERROR


def iso_z(moment: datetime) -> str:
    """ISO-8601 UTC with a trailing Z, to the second (what the jobs write too)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso_z(datetime.now(timezone.utc))


def envelope(status: str, data: Any = None, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "data": data, "generated_at": now_iso()}
    if status != OK:
        body["message"] = message or "unknown problem"
    return body


def ok(data: Any) -> Response:
    return jsonify(envelope(OK, data))


def problem_response(exc: OutputProblem) -> tuple[Response, int]:
    code = 400 if isinstance(exc, BadRequest) else 200
    return jsonify(envelope(exc.status, exc.data, exc.message)), code


def install_api_errors(app: Flask, prefix: str = "/api") -> None:
    """Every failure under the API prefix answers in the envelope, never an HTML page."""

    app.register_error_handler(OutputProblem, problem_response)

    def http_error(exc: HTTPException) -> Response | HTTPException:
        if not request.path.startswith(prefix):
            return exc
        response = jsonify(envelope(ERROR, None, f"{exc.code} {exc.name}: {exc.description}"))
        response.status_code = exc.code or 500
        return response

    def unexpected(exc: Exception) -> Response | tuple[str, int]:
        log.exception("unexpected error on %s", request.path)
        message = f"internal error ({type(exc).__name__}); the server log has the details"
        if request.path.startswith(prefix):
            response = jsonify(envelope(ERROR, None, message))
            response.status_code = 500
            return response
        return message, 500

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)

"""Reading the small JSON files the jobs rewrite atomically, with a clear word when one is
missing, empty or cut short (a writer that did not rename, or a copy in progress)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from services.web.envelope import BadData, NoData


def read_json_object(path: Path, what: str, required: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON object in `path`; NoData when absent or empty, BadData when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NoData(f"No {what} yet: {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadData(f"The {what} at {path} cannot be read: {exc}.") from None
    if not text.strip():
        raise NoData(f"The {what} at {path} is empty; waiting for the job to write it.")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadData(f"The {what} at {path} is not valid JSON (half-written or corrupt: "
                      f"{exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(payload, dict):
        raise BadData(f"The {what} at {path} should hold a JSON object, "
                      f"not {type(payload).__name__}.")
    missing = [key for key in required if key not in payload]
    if missing:
        raise BadData(f"The {what} at {path} lacks {', '.join(missing)}.")
    return payload

"""JSON text of a schema file or a fault spec, read strictly: one located problem for what
`json.loads` fails on (bad syntax, nesting deeper than its recursion allows) or takes
silently (a key given twice in one object, where the later value would win unseen)."""

from __future__ import annotations

import json
import re
from typing import Any

from services.schema.errors import Problem, SchemaError

MAX_DEPTH = 256  # levels of [ and {; a schema needs fewer than 10
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def read_json(text: str, source: str) -> Any:
    """The value `text` holds; SchemaError with the line and column (or the key's place in
    the file, for a duplicate) of what is wrong."""
    duplicates: list[tuple[dict, str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        obj: dict = {}
        for key, value in items:
            if key in obj:
                duplicates.append((obj, key))
            obj[key] = value
        return obj

    too_deep = nested_too_deep(text)
    if too_deep:
        raise SchemaError([Problem("", f"is nested more than {MAX_DEPTH} levels deep at "
                                       f"{too_deep}")], source)
    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise SchemaError([Problem("", f"is not valid JSON at {where}: {exc.msg}")],
                          source) from None
    if duplicates:
        places = paths_of(data)
        raise SchemaError([Problem(places.get(id(obj), ""),
                                   f"key {key!r} is given twice (remove one)")
                           for obj, key in duplicates], source)
    return data


def nested_too_deep(text: str) -> str | None:
    """`line L, column C` of the first bracket opening level MAX_DEPTH + 1, if any (strings
    skipped, so brackets inside values do not count)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                offset = token.start()
                line = text.count("\n", 0, offset) + 1
                column = offset - (text.rfind("\n", 0, offset) + 1) + 1
                return f"line {line}, column {column}"
        elif bracket in "]}":
            depth -= 1
    return None


def paths_of(data: Any) -> dict[int, str]:
    """Each object and list in `data` by id, with its path as problems name places
    (`schema.fields[2]`), walked without recursion."""
    found: dict[int, str] = {}
    stack = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            found[id(value)] = path
            stack += [(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
        elif isinstance(value, list):
            found[id(value)] = path
            stack += [(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return found

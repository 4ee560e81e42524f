"""Query parameters of the JSON APIs, declared once per view and checked the same way.

A view declares what it takes with `@takes(name=Param, ...)` and receives the parsed values
as keyword arguments (None when absent). Anything else is refused with a 400 in the envelope
whose message names the parameter, the bad value and what is accepted: an unknown or
repeated parameter, a value of the wrong type, out of range, or not one of the choices.
A view under the API prefix that declares nothing takes no parameters at all.
"""

from __future__ import annotations

import functools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, request
from werkzeug.datastructures import MultiDict

from services.web.envelope import BadRequest

View = TypeVar("View", bound=Callable[..., Any])
DECLARED = "query_params"  # the attribute @takes sets on a view: name -> Param
_DIGITS = re.compile(r"-?[0-9]{1,9}")  # no sign, spaces, underscores or other scripts' digits


class Param(ABC):
    """One query parameter's type and accepted values."""

    @abstractmethod
    def accepted(self) -> str:
        """What is accepted, as a phrase: "a whole number from 1 to 100"."""

    @abstractmethod
    def parse(self, raw: str) -> Any:
        """The value, or ValueError when `raw` is not accepted."""


@dataclass(frozen=True)
class Whole(Param):
    """A whole number within [low, high]."""

    low: int
    high: int

    def accepted(self) -> str:
        return f"a whole number from {self.low} to {self.high}"

    def parse(self, raw: str) -> int:
        if not _DIGITS.fullmatch(raw) or not self.low <= int(raw) <= self.high:
            raise ValueError(raw)
        return int(raw)


@dataclass(frozen=True)
class OneOf(Param):
    """One of some names read per request (the schema's dimensions, say), matched exactly."""

    choices: Callable[[], Sequence[str]]
    what: str

    def accepted(self) -> str:
        names = list(self.choices())
        return f"one of {self.what}: {', '.join(names)}" if names else \
            f"nothing: there are no {self.what}"

    def parse(self, raw: str) -> str:
        if raw not in self.choices():
            raise ValueError(raw)
        return raw


def parse_query(args: MultiDict[str, str], params: Mapping[str, Param],
                where: str) -> dict[str, Any]:
    """Every declared parameter's value (None when absent); BadRequest for anything else."""
    unknown = [name for name in args if name not in params]
    if unknown:
        got = ", ".join(f"{name}={args[name]!r}" for name in unknown)
        takes = f"it takes only {', '.join(params)}" if params else \
            "it takes no query parameters"
        raise BadRequest(f"{where} does not take {got}: {takes}.")
    values: dict[str, Any] = {}
    for name, param in params.items():
        given = args.getlist(name)
        if len(given) > 1:
            raise BadRequest(f"{name} is given {len(given)} times ({', '.join(map(repr, given))})"
                             f" in {where}: give it once, {param.accepted()}.")
        if not given:
            values[name] = None
            continue
        try:
            values[name] = param.parse(given[0])
        except ValueError:
            raise BadRequest(f"{name}={given[0]!r} is not accepted by {where}: expected "
                             f"{param.accepted()}.") from None
    return values


def takes(**params: Param) -> Callable[[View], View]:
    """Declare a view's query parameters; it gets them parsed as keyword arguments."""
    def declare(view: View) -> View:
        @functools.wraps(view)
        def parsed(**route_args: Any) -> Any:
            return view(**route_args, **parse_query(request.args, params, request.path))

        setattr(parsed, DECLARED, dict(params))
        return parsed  # type: ignore[return-value]

    return declare


def declared_params(view: Callable[..., Any]) -> dict[str, Param]:
    """The parameters a view declared with @takes (none if it did not)."""
    return dict(getattr(view, DECLARED, {}))


def install_query_check(app: Flask, prefix: str = "/api") -> None:
    """A view under `prefix` without @takes refuses every query parameter, so a new route
    cannot quietly ignore one."""

    @app.before_request
    def refuse_undeclared() -> None:
        if not request.path.startswith(prefix + "/") or request.endpoint is None:
            return
        view = current_app.view_functions.get(request.endpoint)
        if view is not None and not hasattr(view, DECLARED):
            parse_query(request.args, {}, request.path)

"""A browser tab of the page tests, with what went wrong in it."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Page


@dataclass
class Tab:
    """A browser page and what went wrong in it: console errors/warnings, uncaught errors."""

    page: Page
    problems: list[str] = field(default_factory=list)

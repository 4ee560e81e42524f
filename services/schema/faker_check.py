"""Faker providers as a field type: checked when the schema is loaded, not when rows are made."""

from __future__ import annotations

import datetime as dt
import decimal
from functools import lru_cache
from typing import Any

from services.schema.reader import is_int, is_number
from services.schema.values import BOOLEAN, FLOAT, INTEGER, STRING


@lru_cache(maxsize=32)
def make_faker(locale: str) -> Any:
    from faker import Faker

    return Faker(locale)


def to_scalar(value: Any) -> str | int | float | bool:
    """A provider's value as a JSON scalar (dates as ISO text, everything else as text)."""
    if isinstance(value, (bool, str)) or is_int(value):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return BOOLEAN
    if is_int(value):
        return INTEGER
    if is_number(value):
        return FLOAT
    return STRING


def check_provider(
    provider: str, locale: str, args: dict[str, Any],
) -> tuple[str, tuple[str, str] | None]:
    """Return the value kind of the provider, or the (key, message) of what is wrong."""
    try:
        fake = make_faker(locale)
    except AttributeError:
        from faker.config import AVAILABLE_LOCALES

        return STRING, ("locale", f"unknown Faker locale {locale!r}; accepted: "
                                  f"{', '.join(sorted(AVAILABLE_LOCALES)[:12])}, ...")
    method = getattr(fake, provider, None) if not provider.startswith("_") else None
    if not callable(method) or provider in ("seed", "seed_instance", "seed_locale"):
        return STRING, ("provider", f"unknown Faker provider {provider!r}; accepted: a method "
                                    "of faker.Faker such as name, city, email, company")
    try:
        sample = to_scalar(method(**args))
    except Exception as exc:  # any provider error is a schema problem to report
        return STRING, ("args", f"Faker provider {provider!r} refused these args: {exc}")
    return kind_of(sample), None

"""A client of a schema registry's Confluent-compatible REST API (Confluent Schema Registry,
Apicurio's /apis/ccompat/v7, Redpanda): register a schema under a subject (or find the id it
already has), set the subject's compatibility level, fetch a schema by id.

Plain HTTP with the standard library; every failure is a RegistryError whose message is one
line naming the registry URL and, when the registry refused, its own reason.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCHEMA_TYPES = ("AVRO", "JSON")  # what this project registers
COMPATIBILITY_LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
                        "FULL", "FULL_TRANSITIVE", "NONE")
TIMEOUT = 10.0
# Registries never see the environment's proxies: they are usually beside the broker.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RegistryError(RuntimeError):
    """The registry did not answer, or refused; the message says which and why, `status`
    the HTTP status of a refusal (None: no answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class IncompatibleSchemaError(RegistryError):
    """The subject's compatibility level refused the schema (HTTP 409)."""


@dataclass(frozen=True)
class RegisteredSchema:
    id: int
    schema_type: str  # AVRO or JSON
    text: str


class SchemaRegistry:
    """One registry, by the URL of its Confluent-compatible API."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def register(self, subject: str, schema: str, schema_type: str = "AVRO") -> int:
        """The id of `schema` under `subject`: registered as a new version, or the id it
        already has (registering the same schema again is idempotent)."""
        if schema_type not in SCHEMA_TYPES:
            raise ValueError(f"schema type {schema_type!r}: accepted {list(SCHEMA_TYPES)}")
        body: dict[str, Any] = {"schema": schema}
        if schema_type != "AVRO":  # Avro is the API's default type, named by omission
            body["schemaType"] = schema_type
        answer = self._call("POST", f"/subjects/{_quote(subject)}/versions", body,
                            f"registering a schema under {subject}")
        return int(answer["id"])

    def set_compatibility(self, subject: str, level: str) -> None:
        if level not in COMPATIBILITY_LEVELS:
            raise ValueError(f"compatibility {level!r}: accepted {list(COMPATIBILITY_LEVELS)}")
        self._call("PUT", f"/config/{_quote(subject)}", {"compatibility": level},
                   f"setting the compatibility of {subject}")

    def compatibility(self, subject: str) -> str:
        answer = self._call("GET", f"/config/{_quote(subject)}", None,
                            f"reading the compatibility of {subject}")
        return str(answer.get("compatibilityLevel") or answer.get("compatibility"))

    def schema(self, schema_id: int) -> RegisteredSchema:
        """The schema with `schema_id` (RegistryError when the registry has none)."""
        answer = self._call("GET", f"/schemas/ids/{int(schema_id)}", None,
                            f"fetching schema id {schema_id}")
        return RegisteredSchema(int(schema_id), answer.get("schemaType") or "AVRO",
                                answer["schema"])

    def versions(self, subject: str) -> list[int]:
        return list(self._call("GET", f"/subjects/{_quote(subject)}/versions", None,
                               f"listing the versions of {subject}"))

    def _call(self, method: str, path: str, body: Any, what: str) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Content-Type": CONTENT_TYPE,
                                                  "Accept": "application/json"})
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            reason = _reason(exc)
            error = IncompatibleSchemaError if exc.code == 409 else RegistryError
            raise error(f"schema registry at {self.url} refused {what} "
                        f"(HTTP {exc.code}): {reason}", exc.code) from None
        except (OSError, ValueError) as exc:
            cause = getattr(exc, "reason", None) or exc
            raise RegistryError(f"no schema registry answered at {self.url} ({what}): "
                                f"{cause}; check SCHEMA_REGISTRY_URL / --registry-url") from None


def _reason(error: urllib.error.HTTPError) -> str:
    """The registry's own message, on one line."""
    try:
        text = error.read().decode("utf-8", "replace")
    except OSError:
        return str(error.reason)
    try:
        message = json.loads(text).get("message", text)
    except (ValueError, AttributeError):
        message = text
    return " ".join(str(message).split())[:600] or str(error.reason)


def _quote(subject: str) -> str:
    return urllib.parse.quote(subject, safe="")


def value_subject(topic: str) -> str:
    """The subject of a topic's message values (Confluent's TopicNameStrategy)."""
    return f"{topic}-value"

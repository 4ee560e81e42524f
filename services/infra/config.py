"""Rendering engine configuration files: pure functions, so they are tested without engines."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape


def _escape_property(text: str, *, key: bool) -> str:
    out = text.replace("\\", "\\\\").replace("\n", "\\n")
    if key:
        out = out.replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ")
    return out


def render_properties(values: Mapping[str, object]) -> str:
    """A Java .properties file (Kafka, Spark, log4j), one `key=value` per line, keys sorted."""
    lines = [f"{_escape_property(k, key=True)}={_escape_property(_text(v), key=False)}"
             for k, v in sorted(values.items())]
    return "\n".join(lines) + "\n"


def render_hadoop_xml(values: Mapping[str, object]) -> str:
    """A Hadoop *-site.xml file with one <property> per entry, names sorted."""
    props = "".join(
        f"  <property>\n    <name>{escape(k)}</name>\n    <value>{escape(_text(v))}</value>\n"
        f"  </property>\n"
        for k, v in sorted(values.items())
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n{props}</configuration>\n'


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_text(path: Path, text: str) -> Path:
    """Write a config file, creating its folder; returns the path for argv building."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path

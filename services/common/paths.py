"""Where things are, said once: the repository (or the image's /opt), its shipped schemas,
the folders the demo and the local engines use, and local paths from file:// URIs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "services"
SCHEMAS = PACKAGE / "batch" / "schemas"
DEFAULT_SCHEMA = SCHEMAS / "card_transactions.json"
RETAIL_SCHEMA = SCHEMAS / "retail_orders.json"
JVM_CACHE = REPO_ROOT / ".cache" / "jvm"  # the jars `scripts/setup.sh jvm` resolves
SPARK_EVENTS = REPO_ROOT / "spark-events"  # the history server's event logs


def local_path(uri_or_path: str) -> Path:
    """A local filesystem path from a plain path or a file:// URI."""
    parsed = urlparse(uri_or_path)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme:
        raise ValueError(f"not a local path: {uri_or_path}")
    return Path(uri_or_path)

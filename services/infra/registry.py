"""A schema registry: Apicurio Registry 2.x (one Quarkus JVM), its schemas in a file.

Producers and consumers speak to it through its Confluent-compatible API
(`/apis/ccompat/v7`), the one every Kafka serializer knows. Its storage is the embedded H2
database its in-memory mode also runs on, kept as a file in the state folder: schemas and
their ids outlive a restart as the topic's messages do, so a message written before the
restart still decodes by its id (in memory, ids would start over and could name other
schemas). Ready means Quarkus' readiness check answers UP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from services.common import jars
from services.common.paths import REPO_ROOT
from services.infra import net
from services.infra.engine import Details, Engine

DEFAULT_STATE_DIR = REPO_ROOT / "data" / ".engines" / "registry"
HEAP = "-Xmx384m"
CCOMPAT = "/apis/ccompat/v7"
READY = "/health/ready"


@dataclass(frozen=True)
class RegistryDetails(Details):
    url: str  # the Confluent-compatible API: what SCHEMA_REGISTRY_URL names
    ui_url: str


def registry_ready(base: str) -> bool:
    """True once the readiness check reports UP (storage open, API served)."""
    body = net.get_json(f"{base}{READY}")
    return isinstance(body, dict) and body.get("status") == "UP"


class Registry(Engine[RegistryDetails]):
    """`--port` is the HTTP port (API, UI and health all share it)."""

    name = "registry"
    daemons = ("registry",)
    details_type = RegistryDetails
    start_timeout = 90.0  # ~6 s alone; far longer on 2 busy cores
    well_known_ports: ClassVar[Mapping[str, int]] = {"http port": 8081}
    service_hosts: ClassVar[Mapping[str, str]] = {"registry": "registry"}

    @property
    def database(self) -> Path:
        """The H2 database's path, without the `.mv.db` H2 adds."""
        return self.state_dir / "storage" / "registry"

    def _configure(self, ports: Mapping[str, int]) -> None:
        """Nothing to render: Quarkus reads its settings from the environment."""

    def _command(self, daemon: str, ports: Mapping[str, int]
                 ) -> tuple[list[str], Mapping[str, str]]:
        env = {**self.env,
               "QUARKUS_HTTP_HOST": self.network.bind,
               "QUARKUS_HTTP_PORT": str(ports["http port"]),
               "QUARKUS_BANNER_ENABLED": "false",
               "REGISTRY_DATASOURCE_URL": f"jdbc:h2:file:{self.database}"}
        argv = [jars.java_executable(self.env), HEAP, jars.QUICK_START,
                "-Djava.awt.headless=true", "-jar", str(jars.registry_runner(self.env))]
        return argv, env

    def _base(self, ports: Mapping[str, int]) -> str:
        return f"http://{self.network.host('registry')}:{ports['http port']}"

    def _probe(self, daemon: str, ports: Mapping[str, int]) -> bool:
        return registry_ready(self._base(ports))

    def _details(self, ports: Mapping[str, int]) -> RegistryDetails:
        base = self._base(ports)
        return RegistryDetails(url=f"{base}{CCOMPAT}", ui_url=f"{base}/ui")

"""A single-node Apache Kafka 4 broker in KRaft mode (broker and controller in one JVM).

First start formats the storage with a random cluster id; later starts keep the topics.
Ready means a metadata request through kafka-python returns an unfenced broker.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from services.common import jars
from services.common.cli import quiet_kafka_client
from services.common.paths import REPO_ROOT
from services.infra import config, net
from services.infra.engine import LOOPBACK, Details, Engine, Network

DEFAULT_STATE_DIR = REPO_ROOT / "data" / ".engines" / "kafka"
HEAP = "-Xmx512m"
BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
NODE_ID = 1


@dataclass(frozen=True)
class KafkaDetails(Details):
    bootstrap_servers: str
    controller_port: int


def new_cluster_id() -> str:
    """A random cluster id in Kafka's format: a UUID in URL-safe base64, unpadded.

    One draw in 64 starts with '-', which the storage tool reads as an option (`-t -Xy..`)
    and refuses to format; like Kafka's own Uuid.randomUuid, such a draw is drawn again."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not text.startswith("-"):
            return text


def server_properties(broker_port: int, controller_port: int, log_dir: Path,
                      network: Network = LOOPBACK, external: str | None = None,
                      external_port: int | None = None) -> dict[str, object]:
    """Broker config for one node; replication factors of 1 since there is one broker.

    `external` (host:port) adds a listener on `external_port` for clients outside a container
    network, advertised as that address: the port the host publishes."""
    bind, host = network.bind, network.host("broker")
    listeners = [f"PLAINTEXT://{bind}:{broker_port}", f"CONTROLLER://{bind}:{controller_port}"]
    advertised = [f"PLAINTEXT://{host}:{broker_port}"]
    protocols = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
    if external is not None:
        listeners.append(f"EXTERNAL://{bind}:{external_port}")
        advertised.append(f"EXTERNAL://{external}")
        protocols.append("EXTERNAL:PLAINTEXT")
    return {
        "process.roles": "broker,controller",
        "node.id": NODE_ID,
        "controller.quorum.voters": f"{NODE_ID}@{host}:{controller_port}",
        "listeners": ",".join(listeners),
        "advertised.listeners": ",".join(advertised),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": ",".join(protocols),
        "log.dirs": str(log_dir),
        "num.partitions": 1,
        "offsets.topic.replication.factor": 1,
        "offsets.topic.num.partitions": 10,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        # No point delaying the first rebalance when there is one consumer per test or demo.
        "group.initial.rebalance.delay.ms": 0,
    }


LOG4J2 = {
    "status": "warn",
    "appender.out.type": "Console",
    "appender.out.name": "out",
    "appender.out.layout.type": "PatternLayout",
    "appender.out.layout.pattern": "[%d] %p %m (%c)%n",
    "rootLogger.level": "INFO",
    "rootLogger.appenderRef.out.ref": "out",
    "logger.kafka.name": "kafka",
    "logger.kafka.level": "INFO",
    "logger.state.name": "state.change.logger",
    "logger.state.level": "WARN",
}


def broker_ready(bootstrap_servers: str) -> bool:
    """True once a metadata request succeeds and the broker is registered and unfenced."""
    from kafka import KafkaAdminClient  # kafka-python, only where a broker is checked

    host, port = bootstrap_servers.rsplit(":", 1)
    if not net.is_listening(int(port), host=host):
        return False
    try:
        with quiet_kafka_client():
            client = KafkaAdminClient(bootstrap_servers=bootstrap_servers,
                                      client_id="infra-ready", request_timeout_ms=3000,
                                      bootstrap_timeout_ms=3000)
            try:
                brokers = client.describe_cluster().get("brokers") or []
            finally:
                client.close()
    except Exception:
        return False
    return any(not b.get("is_fenced", False) for b in brokers)


class Kafka(Engine[KafkaDetails]):
    """`--port` is the broker (client) port; the controller gets a free one. In a container,
    `external` (host:port) is the address the host publishes for clients outside."""

    name = "kafka"
    daemons = ("broker",)
    details_type = KafkaDetails
    start_timeout = 60.0
    well_known_ports: ClassVar[Mapping[str, int]] = {
        "broker port": 9092, "controller port": 9093, "external port": 9094}
    service_hosts: ClassVar[Mapping[str, str]] = {"broker": "kafka"}

    def __init__(self, state_dir: Path | str, *, external: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(state_dir, **kwargs)
        self.external = external

    def _port_names(self) -> list[str]:
        names = super()._port_names()
        return names if self.external else [n for n in names if n != "external port"]

    @property
    def _log_dir(self) -> Path:
        return self.state_dir / "kraft-logs"

    def _configure(self, ports: Mapping[str, int]) -> None:
        external = ports["external port"] if self.external else None
        config.write_text(self.conf_dir / "server.properties", config.render_properties(
            server_properties(ports["broker port"], ports["controller port"], self._log_dir,
                              self.network, self.external, external)))
        config.write_text(self.conf_dir / "log4j2.properties", config.render_properties(LOG4J2))

    def _java(self) -> list[str]:
        return [jars.java_executable(self.env), HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.conf_dir / 'log4j2.properties'}",
                "-cp", ":".join(jars.kafka_classpath(self.env))]

    def _prepare(self, daemon: str, ports: Mapping[str, int]) -> None:
        if not (self._log_dir / "meta.properties").exists():
            self._run_tool("formatting storage",
                           [*self._java(), jars.QUICK_START, STORAGE_TOOL, "format", "-t",
                            new_cluster_id(), "-c", str(self.conf_dir / "server.properties")],
                           "format")

    def _command(self, daemon: str, ports: Mapping[str, int]) -> tuple[list[str], None]:
        return [*self._java(), BROKER_MAIN, str(self.conf_dir / "server.properties")], None

    def _bootstrap(self, ports: Mapping[str, int]) -> str:
        return f"{self.network.host('broker')}:{ports['broker port']}"

    def _probe(self, daemon: str, ports: Mapping[str, int]) -> bool:
        return broker_ready(self._bootstrap(ports))

    def _details(self, ports: Mapping[str, int]) -> KafkaDetails:
        return KafkaDetails(bootstrap_servers=self._bootstrap(ports),
                            controller_port=ports["controller port"])

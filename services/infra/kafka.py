"""A single-node Apache Kafka 4 broker in KRaft mode (broker and controller in one JVM).

First start formats the storage with a random cluster id; later starts keep the topics.
Ready means a metadata request through kafka-python returns an unfenced broker.
"""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from services.infra import config, jars, net
from services.infra.engine import Details, Engine

DEFAULT_STATE_DIR = jars.REPO / "data" / ".engines" / "kafka"
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


def server_properties(broker_port: int, controller_port: int, log_dir: Path) -> dict[str, object]:
    """Broker config for one node; replication factors of 1 since there is one broker."""
    return {
        "process.roles": "broker,controller",
        "node.id": NODE_ID,
        "controller.quorum.voters": f"{NODE_ID}@{net.HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{net.HOST}:{broker_port},CONTROLLER://{net.HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{net.HOST}:{broker_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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

    port = int(bootstrap_servers.rsplit(":", 1)[1])
    if not net.is_listening(port):
        return False
    quiet = logging.getLogger("kafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a broker still starting makes kafka-python log errors
    try:
        client = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="infra-ready",
                                  request_timeout_ms=3000, bootstrap_timeout_ms=3000)
        try:
            brokers = client.describe_cluster().get("brokers") or []
        finally:
            client.close()
    except Exception:
        return False
    finally:
        quiet.setLevel(level)
    return any(not b.get("is_fenced", False) for b in brokers)


class Kafka(Engine[KafkaDetails]):
    """`--port` is the broker (client) port; the controller gets a free one."""

    name = "kafka"
    daemons = ("broker",)
    details_type = KafkaDetails
    start_timeout = 60.0

    def _launch(self) -> KafkaDetails:
        ports = self._ports("broker port", ["controller port"])
        broker_port, controller_port = ports["broker port"], ports["controller port"]
        log_dir = self.state_dir / "kraft-logs"
        props = config.write_text(
            self.conf_dir / "server.properties",
            config.render_properties(server_properties(broker_port, controller_port, log_dir)))
        log4j = config.write_text(self.conf_dir / "log4j2.properties",
                                  config.render_properties(LOG4J2))
        java = [jars.java_executable(self.env), HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={log4j}",
                "-cp", ":".join(jars.kafka_classpath(self.env))]
        if not (log_dir / "meta.properties").exists():
            self._run_tool("formatting storage",
                           [*java, jars.QUICK_START, STORAGE_TOOL, "format", "-t", new_cluster_id(),
                            "-c", str(props)], "format")
        self._spawn("broker", [*java, BROKER_MAIN, str(props)])
        bootstrap = f"{net.HOST}:{broker_port}"
        self._wait_for(f"a metadata request to {bootstrap}", lambda: broker_ready(bootstrap))
        return KafkaDetails(bootstrap_servers=bootstrap, controller_port=controller_port)


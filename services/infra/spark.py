"""A Spark standalone cluster on one machine: a master, one worker and a history server,
launched with the pyspark package's own `bin/spark-class` (so the same Spark as the jobs).

Ready means the master reports an ALIVE worker and the history server's REST API answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from services.common import jars
from services.common.paths import REPO_ROOT
from services.infra import config, net
from services.infra.engine import LOOPBACK, Details, Engine, Network

DEFAULT_STATE_DIR = REPO_ROOT / "data" / ".engines" / "spark"
DAEMON_MEMORY = "384m"
WORKER_CORES = 2
WORKER_MEMORY = "2g"
MASTER_MAIN = "org.apache.spark.deploy.master.Master"
WORKER_MAIN = "org.apache.spark.deploy.worker.Worker"
HISTORY_MAIN = "org.apache.spark.deploy.history.HistoryServer"
PORT_NAMES = ("master port", "master ui port", "worker port", "worker ui port",
              "history ui port")


@dataclass(frozen=True)
class SparkDetails(Details):
    master_url: str
    master_ui_url: str
    worker_ui_url: str
    history_ui_url: str
    event_log_dir: str


def history_properties(event_log_dir: Path, ui_port: int) -> dict[str, object]:
    """History server settings: scan the event folder every second so jobs show up soon."""
    return {
        "spark.history.fs.logDirectory": event_log_dir.resolve().as_uri(),
        "spark.history.ui.port": ui_port,
        "spark.history.fs.update.interval": "1s",
        "spark.history.retainedApplications": 20,
    }


def daemon_env(base: Mapping[str, str], spark_home: Path, conf_dir: Path,
               network: Network = LOOPBACK, daemon: str = "master") -> dict[str, str]:
    """Environment of spark-class: listen on `network.bind` (loopback locally), advertise the
    daemon's host name, capped daemon heaps, our (empty) conf dir."""
    env = dict(base)
    env.update({
        "SPARK_HOME": str(spark_home),
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_DAEMON_MEMORY": DAEMON_MEMORY,
        "SPARK_LOCAL_IP": network.bind,
        "SPARK_LOCAL_HOSTNAME": network.host(daemon),
        "SPARK_MASTER_HOST": network.host("master"),
        "SPARK_PUBLIC_DNS": network.host(daemon),
        # The master's REST submission server would take the fixed port 6066.
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        # Daemons idle most of the time: the quick C1 compiler halves JVM start-up on 2 cores.
        "SPARK_DAEMON_JAVA_OPTS": jars.QUICK_START,
        "SPARK_LAUNCHER_OPTS": jars.QUICK_START,
    })
    return env


def alive_workers(master_json: Any, host: str | None = None) -> int:
    """How many workers the master's /json/ endpoint reports ALIVE (on `host`, if given)."""
    if not isinstance(master_json, dict) or master_json.get("status") != "ALIVE":
        return 0
    return sum(1 for w in master_json.get("workers") or []
               if w.get("state") == "ALIVE" and host in (None, w.get("host")))


class Spark(Engine[SparkDetails]):
    """`--port` is the master port (spark://127.0.0.1:PORT); the UIs get free ports."""

    name = "spark"
    daemons = ("master", "history", "worker")
    details_type = SparkDetails
    start_timeout = 90.0
    well_known_ports: ClassVar[Mapping[str, int]] = dict(
        zip(PORT_NAMES, (7077, 8080, 7078, 8081, 18081), strict=True))
    service_hosts: ClassVar[Mapping[str, str]] = {
        "master": "spark-master", "worker": "spark-worker", "history": "spark-history"}
    # The worker registers at once when the master is up (no retry back-off).
    start_after: ClassVar[Mapping[str, str]] = {"worker": "master"}

    def __init__(self, state_dir: Path | str, *, event_log_dir: Path | str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(state_dir, **kwargs)
        self.event_log_dir = (Path(event_log_dir) if event_log_dir is not None
                              else self.state_dir / "spark-events").resolve()

    def _configure(self, ports: Mapping[str, int]) -> None:
        self.event_log_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(self.conf_dir / "history.properties", config.render_properties(
            history_properties(self.event_log_dir, ports["history ui port"])))

    def _master_url(self, ports: Mapping[str, int]) -> str:
        return f"spark://{self.network.host('master')}:{ports['master port']}"

    def _ui(self, daemon: str, port: int) -> str:
        return f"http://{self.network.host(daemon)}:{port}"

    def _command(self, daemon: str, ports: Mapping[str, int]
                 ) -> tuple[list[str], dict[str, str]]:
        home = jars.spark_home(self.env)
        argv = [str(home / "bin" / "spark-class")]
        host = self.network.host(daemon)
        if daemon == "master":
            argv += [MASTER_MAIN, "--host", host, "--port", str(ports["master port"]),
                     "--webui-port", str(ports["master ui port"])]
        elif daemon == "worker":
            argv += [WORKER_MAIN, "--host", host, "--port", str(ports["worker port"]),
                     "--webui-port", str(ports["worker ui port"]),
                     "--cores", str(WORKER_CORES), "--memory", WORKER_MEMORY,
                     "--work-dir", str(self.state_dir / "work"), self._master_url(ports)]
        else:
            argv += [HISTORY_MAIN, "--properties-file",
                     str(self.conf_dir / "history.properties")]
        return argv, daemon_env(self.env, home, self.conf_dir, self.network, daemon)

    def _probe(self, daemon: str, ports: Mapping[str, int]) -> bool:
        """Master: ALIVE; worker: ALIVE at the master; history: its REST API answers."""
        if daemon == "history":
            history = self._ui("history", ports["history ui port"])
            return isinstance(net.get_json(f"{history}/api/v1/applications"), list)
        master = net.get_json(f"{self._ui('master', ports['master ui port'])}/json/")
        if daemon == "master":
            return isinstance(master, dict) and master.get("status") == "ALIVE"
        return alive_workers(master, self.network.host("worker")) >= 1

    def _details(self, ports: Mapping[str, int]) -> SparkDetails:
        return SparkDetails(master_url=self._master_url(ports),
                            master_ui_url=self._ui("master", ports["master ui port"]),
                            worker_ui_url=self._ui("worker", ports["worker ui port"]),
                            history_ui_url=self._ui("history", ports["history ui port"]),
                            event_log_dir=str(self.event_log_dir))

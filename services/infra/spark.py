"""A Spark standalone cluster on one machine: a master, one worker and a history server,
launched with the pyspark package's own `bin/spark-class` (so the same Spark as the jobs).

Ready means the master reports an ALIVE worker and the history server's REST API answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.infra import config, jars, net
from services.infra.engine import Details, Engine

DEFAULT_STATE_DIR = jars.REPO / "data" / ".engines" / "spark"
DEMO_EVENT_LOG_DIR = jars.REPO / "spark-events"
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


def daemon_env(base: dict[str, str], spark_home: Path, conf_dir: Path) -> dict[str, str]:
    """Environment of spark-class: loopback only, capped daemon heaps, our (empty) conf dir."""
    env = dict(base)
    env.update({
        "SPARK_HOME": str(spark_home),
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_DAEMON_MEMORY": DAEMON_MEMORY,
        "SPARK_LOCAL_IP": net.HOST,
        "SPARK_LOCAL_HOSTNAME": net.HOST,
        "SPARK_MASTER_HOST": net.HOST,
        "SPARK_PUBLIC_DNS": net.HOST,
        # The master's REST submission server would take the fixed port 6066.
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        # Daemons idle most of the time: the quick C1 compiler halves JVM start-up on 2 cores.
        "SPARK_DAEMON_JAVA_OPTS": jars.QUICK_START,
        "SPARK_LAUNCHER_OPTS": jars.QUICK_START,
    })
    return env


def alive_workers(master_json: Any) -> int:
    """How many workers the master's /json/ endpoint reports ALIVE."""
    if not isinstance(master_json, dict) or master_json.get("status") != "ALIVE":
        return 0
    return sum(1 for w in master_json.get("workers") or [] if w.get("state") == "ALIVE")


class Spark(Engine[SparkDetails]):
    """`--port` is the master port (spark://127.0.0.1:PORT); the UIs get free ports."""

    name = "spark"
    daemons = ("master", "worker", "history")
    details_type = SparkDetails
    start_timeout = 90.0

    def __init__(self, state_dir: Path | str, *, event_log_dir: Path | str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(state_dir, **kwargs)
        self.event_log_dir = (Path(event_log_dir) if event_log_dir is not None
                              else self.state_dir / "spark-events").resolve()

    def _launch(self) -> SparkDetails:
        ports = self._ports(PORT_NAMES[0], PORT_NAMES[1:])
        self.event_log_dir.mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        history_conf = config.write_text(
            self.conf_dir / "history.properties",
            config.render_properties(history_properties(self.event_log_dir,
                                                         ports["history ui port"])))
        home = jars.spark_home(self.env)
        spark_class = str(home / "bin" / "spark-class")
        env = daemon_env(self.env, home, self.conf_dir)
        master_url = f"spark://{net.HOST}:{ports['master port']}"
        self._spawn("master", [spark_class, MASTER_MAIN, "--host", net.HOST,
                               "--port", str(ports["master port"]),
                               "--webui-port", str(ports["master ui port"])], env)
        self._spawn("history", [spark_class, HISTORY_MAIN, "--properties-file",
                                str(history_conf)], env)
        # The worker registers at once when the master already listens (no retry back-off).
        self._wait_for("the master to listen", lambda: net.is_listening(ports["master port"]))
        self._spawn("worker", [spark_class, WORKER_MAIN, "--host", net.HOST,
                               "--port", str(ports["worker port"]),
                               "--webui-port", str(ports["worker ui port"]),
                               "--cores", str(WORKER_CORES), "--memory", WORKER_MEMORY,
                               "--work-dir", str(self.state_dir / "work"), master_url], env)
        master_ui = f"http://{net.HOST}:{ports['master ui port']}"
        history_ui = f"http://{net.HOST}:{ports['history ui port']}"
        self._wait_for("an ALIVE worker at the master",
                       lambda: alive_workers(net.get_json(f"{master_ui}/json/")) >= 1)
        self._wait_for("the history server's REST API",
                       lambda: isinstance(net.get_json(f"{history_ui}/api/v1/applications"),
                                          list))
        return SparkDetails(master_url=master_url, master_ui_url=master_ui,
                            worker_ui_url=f"http://{net.HOST}:{ports['worker ui port']}",
                            history_ui_url=history_ui, event_log_dir=str(self.event_log_dir))

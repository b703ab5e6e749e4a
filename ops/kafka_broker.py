"""A real single-node KRaft Kafka broker from Maven Central jars, run on the machine's Java."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ops.paths import REPO_ROOT, free_port, port_is_free
from ops.processes import StackError, read_pid, spawn, terminate

POM = REPO_ROOT / "ops" / "kafka" / "pom.xml"
LOG4J_CONFIG = REPO_ROOT / "ops" / "kafka" / "log4j2.properties"
HEAP = ("-Xms512m", "-Xmx1g")


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerEndpoint:
    """Where a running broker answers."""

    bootstrap: str
    port: int
    controller_port: int
    pid: int


def _lib_dir(home: Path) -> Path:
    return home / "lib"


def ensure_jars(cache: Path) -> Path:
    """Copy the broker's runtime classpath from Maven Central into cache/lib once per pom version."""
    lib = _lib_dir(cache)
    stamp = lib / ".pom-sha256"
    want = hashlib.sha256(POM.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == want:
        return lib
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise StackError(
                f"'{tool}' is not on PATH. Run `make setup` (as root it installs OpenJDK 17 and "
                "Maven from Debian's packages), or install them and retry."
            )
    if lib.exists():
        shutil.rmtree(lib)
    lib.mkdir(parents=True)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={lib}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(
            f"Maven could not fetch the Kafka jars:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    stamp.write_text(want)
    return lib


def _properties(home: Path, port: int, controller_port: int) -> str:
    data = home / "data"
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data),
        # One node: every internal topic has one replica.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Fast single node: no rebalance delay, one partition for internal topics, small thread pools.
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.num.partitions": "1",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.partitions": "1",
        # Topics are declared by ops/topics.py (and faust for its changelogs), never by accident.
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{k}={v}\n" for k, v in settings.items())


def _ports(home: Path) -> tuple[int, int, bool]:
    """Ports recorded by an earlier start if still free (the KRaft voter set names them), else new."""
    record = home / "ports.json"
    if record.is_file():
        ports = json.loads(record.read_text())
        if port_is_free(ports["port"]) and port_is_free(ports["controller_port"]):
            return ports["port"], ports["controller_port"], True
    port, controller_port = free_port(), free_port()
    while controller_port == port:
        controller_port = free_port()
    record.write_text(json.dumps({"port": port, "controller_port": controller_port}))
    return port, controller_port, False


def _java(lib: Path, home: Path, main: str, *args: str) -> list[str]:
    return [
        "java",
        *HEAP,
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={home / 'logs'}",
        "-cp",
        f"{lib}/*",
        main,
        *args,
    ]


def start(home: Path, *, jar_cache: Path, timeout_s: float = 120.0) -> BrokerEndpoint:
    """Start (or find already running) the broker whose state lives in `home`; wait until it answers."""
    home.mkdir(parents=True, exist_ok=True)
    pid_file = home / "kafka.pid"
    lib = ensure_jars(jar_cache)
    running = read_pid(pid_file)
    ports = (
        json.loads((home / "ports.json").read_text()) if (home / "ports.json").is_file() else None
    )
    if running is not None and ports is not None:
        bootstrap = f"127.0.0.1:{ports['port']}"
        wait_until_ready(
            bootstrap, timeout_s=timeout_s, pid=running, log=home / "logs" / "server.log"
        )
        return BrokerEndpoint(
            bootstrap=bootstrap,
            port=ports["port"],
            controller_port=ports["controller_port"],
            pid=running,
        )
    port, controller_port, reused = _ports(home)
    config = home / "server.properties"
    config.write_text(_properties(home, port, controller_port))
    data = home / "data"
    if not reused or not (data / "meta.properties").is_file():
        # New ports or no storage: format afresh (the standalone voter set records the controller port).
        shutil.rmtree(data, ignore_errors=True)
        cluster_id = (
            subprocess.run(
                _java(lib, home, "kafka.tools.StorageTool", "random-uuid"),
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        fmt = subprocess.run(
            _java(
                lib,
                home,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(config),
                "--standalone",
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            raise StackError(f"Kafka storage format failed:\n{fmt.stdout}{fmt.stderr}")
    proc = spawn(
        _java(lib, home, "kafka.Kafka", str(config)),
        log_file=home / "logs" / "stdout.log",
        pid_file=pid_file,
    )
    bootstrap = f"127.0.0.1:{port}"
    wait_until_ready(bootstrap, timeout_s=timeout_s, pid=proc.pid, log=home / "logs" / "server.log")
    return BrokerEndpoint(
        bootstrap=bootstrap, port=port, controller_port=controller_port, pid=proc.pid
    )


def wait_until_ready(bootstrap: str, *, timeout_s: float, pid: int, log: Path) -> None:
    """Poll the broker with a metadata request until it answers; fail fast if the JVM died."""
    from kafka import KafkaAdminClient  # imported late: kafka-python is slow to import
    from kafka.errors import KafkaError

    from ops.processes import is_alive

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not is_alive(pid):
            tail = log.read_text()[-3000:] if log.is_file() else "(no log)"
            raise StackError(f"the Kafka broker exited during start-up; last log lines:\n{tail}")
        host, _, port = bootstrap.rpartition(":")
        try:
            # A plain TCP probe first: kafka-python leaks its socket when its constructor fails.
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError as exc:
            last = exc
            time.sleep(0.3)
            continue
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap, request_timeout_ms=3000, client_id="hub-readiness"
            )
            try:
                admin.describe_cluster()
                return
            finally:
                admin.close()
        except (KafkaError, OSError) as exc:
            last = exc
            time.sleep(0.3)
    raise StackError(
        f"the Kafka broker at {bootstrap} did not answer within {timeout_s:.0f}s ({last})"
    )


def stop(home: Path) -> bool:
    """Stop the broker cleanly (SIGTERM lets it close its logs); True if one was running."""
    return terminate(home / "kafka.pid", grace_s=60.0)


def status(home: Path) -> int | None:
    """The running broker's pid, or None."""
    return read_pid(home / "kafka.pid")

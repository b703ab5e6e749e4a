"""The local stack: Kafka, PostgreSQL, topics, migrations and the hub's own processes, as one unit."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ops import kafka_broker, postgres
from ops.migrations import apply_migrations
from ops.paths import REPO_ROOT, free_port, port_is_free, state_dir
from ops.processes import read_pid, spawn, terminate
from ops.topics import apply_topics
from projections.api.demo import ensure_demo_people
from streams.gateway.demo import ensure_demo_tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class HubProcess:
    """One of the hub's own long-running processes, started as `python -m module`."""

    name: str
    module: str
    description: str
    metrics_port: int  # the documented default; another is chosen when it is taken
    http_port: int | None = None  # for processes that serve HTTP (gateway, read API)
    http_port_env: str | None = None


# The hub's processes, in start order. Each later stage of the pipeline registers itself here.
HUB_PROCESSES: tuple[HubProcess, ...] = (
    HubProcess(
        name="worker",
        module="streams.worker",
        description="stream processors: screening, identity, chronology, sharing, Encompass",
        metrics_port=9101,
    ),
    HubProcess(
        name="gateway",
        module="streams.gateway",
        description="HTTP ingest gateway for agencies without Kafka clients",
        metrics_port=9102,
        http_port=8081,
        http_port_env="HUB_GATEWAY_PORT",
    ),
    HubProcess(
        name="projector",
        module="projections.runner",
        description="projections into PostgreSQL read models",
        metrics_port=9103,
    ),
    HubProcess(
        name="api",
        module="projections.api",
        description="read API and web pages for partners (every read audited)",
        metrics_port=9104,
        http_port=8080,
        http_port_env="HUB_API_PORT",
    ),
)


@dataclass(slots=True, kw_only=True)
class Endpoints:
    """What `hub up` started and where it answers; written to <state>/endpoints.json."""

    kafka_bootstrap: str
    postgres_dsn: str
    postgres_url: str
    state_dir: str
    processes: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    demo_tokens: str = ""
    demo_logins: str = ""
    timings_s: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _homes(root: Path) -> tuple[Path, Path, Path]:
    return root / "kafka", root / "postgres", root / "kafka-cache"


def endpoints_file(root: Path | None = None) -> Path:
    return (root or state_dir()) / "endpoints.json"


def up(
    *,
    root: Path | None = None,
    say: Callable[[str], None] = print,
    processes: tuple[HubProcess, ...] | None = None,
) -> Endpoints:
    """Fetch what is missing, start everything, apply topics and migrations; idempotent."""
    root = root or state_dir()
    root.mkdir(parents=True, exist_ok=True)
    kafka_home, pg_home, jar_cache = _homes(root)
    timings: dict[str, float] = {}

    t0 = time.monotonic()
    kafka_broker.ensure_jars(jar_cache)
    timings["kafka_jars"] = round(time.monotonic() - t0, 2)

    t0 = time.monotonic()
    broker = kafka_broker.start(kafka_home, jar_cache=jar_cache)
    timings["kafka_start_to_ready"] = round(time.monotonic() - t0, 2)
    say(f"Kafka ready at {broker.bootstrap} in {timings['kafka_start_to_ready']:.1f}s")

    t0 = time.monotonic()
    db = postgres.start(pg_home)
    timings["postgres_start"] = round(time.monotonic() - t0, 2)
    say(f"PostgreSQL ready at {db.url} in {timings['postgres_start']:.1f}s")

    changes = apply_topics(broker.bootstrap)
    say(
        f"Topics: {len(changes.created)} created, {len(changes.widened)} widened, "
        f"{len(changes.reconfigured)} reconfigured"
    )
    migrated = apply_migrations(db.dsn)
    say(f"Migrations applied now: {', '.join(migrated) if migrated else 'none (up to date)'}")

    endpoints = Endpoints(
        kafka_bootstrap=broker.bootstrap,
        postgres_dsn=db.dsn,
        postgres_url=db.url,
        state_dir=str(root),
        timings_s=timings,
    )
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": broker.bootstrap,
        "HUB_POSTGRES_DSN": db.dsn,
        "HUB_STATE_DIR": str(root),
    }
    endpoints.demo_tokens = str(ensure_demo_tokens(root))
    endpoints.demo_logins = str(ensure_demo_people(root))
    ports = _process_ports(root, HUB_PROCESSES if processes is None else processes)
    for proc in HUB_PROCESSES if processes is None else processes:
        pid_file = root / "run" / f"{proc.name}.pid"
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        metrics_port, http_port = ports[proc.name]
        proc_env = {**env, "HUB_METRICS_PORT": str(metrics_port)}
        if proc.http_port_env and http_port:
            proc_env[proc.http_port_env] = str(http_port)
            endpoints.urls[proc.name] = f"http://127.0.0.1:{http_port}"
        endpoints.urls[f"{proc.name}_metrics"] = f"http://127.0.0.1:{metrics_port}/metrics"
        pid = read_pid(pid_file)
        if pid is None:
            pid = spawn(
                [sys.executable, "-m", proc.module],
                log_file=root / "logs" / f"{proc.name}.log",
                pid_file=pid_file,
                env=proc_env,
                cwd=REPO_ROOT,
            ).pid
        endpoints.processes[proc.name] = pid
        where = f" at {endpoints.urls[proc.name]}" if proc.name in endpoints.urls else ""
        say(f"{proc.name}: running (pid {pid}){where} — {proc.description}")
    endpoints_file(root).write_text(endpoints.to_json())
    return endpoints


def _process_ports(root: Path, procs: tuple[HubProcess, ...]) -> dict[str, tuple[int, int | None]]:
    """Each process's (metrics port, HTTP port): as recorded by an earlier start, else the
    documented default when free, else any free port. Recorded so a restart keeps its URLs."""
    record = root / "ports.json"
    known: dict[str, list[int | None]] = json.loads(record.read_text()) if record.is_file() else {}
    chosen: dict[str, tuple[int, int | None]] = {}
    taken: set[int] = set()

    def pick(preferred: int) -> int:
        port = preferred if preferred not in taken and port_is_free(preferred) else free_port()
        taken.add(port)
        return port

    for proc in procs:
        running = read_pid(root / "run" / f"{proc.name}.pid") is not None
        if proc.name in known and running:
            metrics, http = known[proc.name]
            assert metrics is not None
            chosen[proc.name] = (metrics, http)
            taken.update(p for p in (metrics, http) if p)
            continue
        chosen[proc.name] = (
            pick(proc.metrics_port),
            pick(proc.http_port) if proc.http_port else None,
        )
    record.write_text(json.dumps({name: list(pair) for name, pair in chosen.items()}))
    return chosen


def down(*, root: Path | None = None, say: Callable[[str], None] = print) -> None:
    """Stop the hub's processes, then the broker, then PostgreSQL; leaves state for the next up."""
    root = root or state_dir()
    kafka_home, pg_home, _ = _homes(root)
    run = root / "run"
    for pid_file in sorted(run.glob("*.pid")) if run.is_dir() else []:
        if terminate(pid_file):
            say(f"{pid_file.stem}: stopped")
    say("Kafka: stopped" if kafka_broker.stop(kafka_home) else "Kafka: was not running")
    say("PostgreSQL: stopped" if postgres.stop(pg_home) else "PostgreSQL: was not running")
    endpoints_file(root).unlink(missing_ok=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentStatus:
    """One line of `hub status`."""

    name: str
    pid: int | None
    detail: str


def status(*, root: Path | None = None) -> list[ComponentStatus]:
    """Each component with its pid (None when stopped) and where it answers."""
    root = root or state_dir()
    kafka_home, pg_home, _ = _homes(root)
    recorded = (
        json.loads(endpoints_file(root).read_text()) if endpoints_file(root).is_file() else {}
    )
    rows = [
        ComponentStatus(
            name="kafka",
            pid=kafka_broker.status(kafka_home),
            detail=recorded.get("kafka_bootstrap", ""),
        ),
        ComponentStatus(
            name="postgres", pid=postgres.status(pg_home), detail=recorded.get("postgres_url", "")
        ),
    ]
    for proc in HUB_PROCESSES:
        rows.append(
            ComponentStatus(
                name=proc.name,
                pid=read_pid(root / "run" / f"{proc.name}.pid"),
                detail=proc.description,
            )
        )
    return rows

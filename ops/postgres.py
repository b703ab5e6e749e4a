"""A private PostgreSQL cluster from Debian's packages, on a loopback port, in a state directory."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ops.paths import free_port, port_is_free
from ops.processes import StackError, is_alive

SUPERUSER = "hub"
DATABASE = "hub"


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseEndpoint:
    """Where a running cluster answers, and the DSN the hub's processes use."""

    host: str
    port: int
    dbname: str
    user: str

    @property
    def dsn(self) -> str:
        return f"host={self.host} port={self.port} dbname={self.dbname} user={self.user}"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


def bindir() -> Path:
    """The newest installed PostgreSQL server's bin directory (Debian keeps them versioned)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise StackError(
        "PostgreSQL server binaries (initdb, pg_ctl) are not installed. Run `make setup` "
        "(as root it runs `apt-get install postgresql`), or install Debian's postgresql package."
    )


def _runas() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise StackError(
            "running as root but there is no 'postgres' user; install Debian's "
            "postgresql package (`make setup`)"
        ) from exc
    return ["runuser", "-u", "postgres", "--"]


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _pg(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_runas(), *args], capture_output=True, text=True, check=False, cwd=home)


def start(home: Path, *, timeout_s: float = 60.0) -> DatabaseEndpoint:
    """Create the cluster on first use, start it (or find it running) and ensure the hub database."""
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)  # noqa: S103 (the postgres user must reach its data directory)
    data, sockets, record = home / "data", home / "sockets", home / "port.json"
    sockets.mkdir(exist_ok=True)
    _chown(sockets)
    bins = bindir()
    if not (data / "PG_VERSION").is_file():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir()
        _chown(data)
        # trust on loopback for the local stack only; docker-compose.yml uses SCRAM passwords.
        made = _pg(
            home,
            str(bins / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        if made.returncode != 0:
            raise StackError(f"initdb failed:\n{made.stdout}{made.stderr}")
    port = json.loads(record.read_text())["port"] if record.is_file() else None
    running = _running_pid(data)
    if running is None:
        if port is None or not port_is_free(port):
            port = free_port()
            record.write_text(json.dumps({"port": port}))
        log = home / "postgres.log"
        log.touch()
        _chown(log)
        opts = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = _pg(
            home,
            str(bins / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            opts,
            "-w",
            "-t",
            str(int(timeout_s)),
            "start",
        )
        if started.returncode != 0:
            tail = log.read_text()[-2000:]
            raise StackError(f"PostgreSQL did not start:\n{started.stdout}{started.stderr}\n{tail}")
    assert port is not None
    endpoint = DatabaseEndpoint(host="127.0.0.1", port=port, dbname=DATABASE, user=SUPERUSER)
    _ensure_database(endpoint, timeout_s)
    return endpoint


def _ensure_database(endpoint: DatabaseEndpoint, timeout_s: float) -> None:
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(
                host=endpoint.host,
                port=endpoint.port,
                user=endpoint.user,
                dbname="postgres",
                autocommit=True,
                connect_timeout=3,
            ) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (endpoint.dbname,)
                ).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{endpoint.dbname}"')
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise StackError(
                    f"PostgreSQL on port {endpoint.port} did not accept connections: {exc}"
                ) from exc
            time.sleep(0.2)


def _running_pid(data: Path) -> int | None:
    """The postmaster's pid from postmaster.pid, if that process is alive."""
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, ValueError, IndexError, PermissionError):
        return None
    return pid if is_alive(pid) else None


def stop(home: Path) -> bool:
    """Fast shutdown (rolls back open transactions, then a clean checkpoint); True if it ran."""
    data = home / "data"
    if _running_pid(data) is None:
        return False
    stopped = _pg(home, str(bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    if stopped.returncode != 0:
        raise StackError(f"pg_ctl stop failed:\n{stopped.stdout}{stopped.stderr}")
    return True


def status(home: Path) -> int | None:
    """The running postmaster's pid, or None."""
    return _running_pid(home / "data")


def endpoint_of(home: Path) -> DatabaseEndpoint | None:
    """The endpoint of the cluster in `home` if it is running."""
    record = home / "port.json"
    if status(home) is None or not record.is_file():
        return None
    return DatabaseEndpoint(
        host="127.0.0.1",
        port=json.loads(record.read_text())["port"],
        dbname=DATABASE,
        user=SUPERUSER,
    )

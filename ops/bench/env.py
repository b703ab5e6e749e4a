"""The benchmark's private stack: broker, PostgreSQL and the hub's processes under a fresh
directory (the same launchers `hub up` uses), the demo logins, and the machine it runs on."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops import kafka_broker, stack
from ops.paths import state_dir
from ops.processes import StackError, read_pid, terminate
from projections.api.demo import DEMO_LOGINS_FILE_NAME, ensure_demo_people
from streams.agents.encompass import STATE_AREA_FILE
from streams.encompass.area import write_synthetic_area


@dataclass(slots=True)
class BenchStack:
    """A running private stack: where it answers and who may sign in to its read API."""

    root: Path
    endpoints: stack.Endpoints | None = None

    @property
    def bootstrap(self) -> str:
        assert self.endpoints is not None
        return self.endpoints.kafka_bootstrap

    @property
    def dsn(self) -> str:
        assert self.endpoints is not None
        return self.endpoints.postgres_dsn

    @property
    def api_url(self) -> str:
        assert self.endpoints is not None
        return self.endpoints.urls["api"]

    def logins(self) -> list[dict[str, Any]]:
        """The demo logins (person, role, organisations whose alerts they read, token)."""
        listing = json.loads((self.root / DEMO_LOGINS_FILE_NAME).read_text())
        return list(listing["logins"])

    def token(self, person_id: str) -> str:
        """The demo login token of a person (e.g. ``dpo-1``, ``dsl-<urn>``)."""
        for login in self.logins():
            if login["person_id"] == person_id:
                return str(login["token"])
        raise KeyError(person_id)

    def pid(self, process: str) -> int | None:
        return read_pid(self.root / "run" / f"{process}.pid")

    def stop_process(self, process: str) -> None:
        """SIGTERM one of the hub's processes (the worker commits and leaves its group)."""
        terminate(self.root / "run" / f"{process}.pid", grace_s=60)

    def log(self, process: str) -> Path:
        return self.root / "logs" / f"{process}.log"

    def wait_worker_ready(self, timeout_s: float = 180.0) -> None:
        """Until faust reports the worker ready (table recovery done, agents started)."""
        deadline = time.monotonic() + timeout_s
        log = self.log("worker")
        while time.monotonic() < deadline:
            if self.pid("worker") is None:
                tail = log.read_text(errors="replace")[-3000:] if log.is_file() else ""
                raise StackError(f"the bench worker exited during start-up:\n{tail}")
            if log.is_file() and "Worker]: Ready" in log.read_text(errors="replace"):
                return
            time.sleep(0.25)
        raise StackError(f"the bench worker was not ready within {timeout_s:.0f}s")

    def wait_api_ready(self, timeout_s: float = 60.0) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.api_url}/healthz", timeout=2) as answer:  # noqa: S310 (loopback)
                    if answer.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise StackError("the bench read API did not answer /healthz") from None
            time.sleep(0.25)


@contextmanager
def private_stack(
    schools: Sequence[dict[str, str]],
    *,
    say: Callable[[str], None],
    seed: int,
    keep: bool = False,
) -> Iterator[BenchStack]:
    """Start a private broker, cluster and the hub's processes for these schools; remove after."""
    cache = state_dir() / "kafka-cache"
    kafka_broker.ensure_jars(cache)  # a fresh clone fetches them once, as `hub up` would
    root = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    os.chmod(root, 0o755)  # noqa: S103 (the postgres user must traverse it)
    (root / "kafka-cache").symlink_to(cache)
    write_synthetic_area(schools, root / STATE_AREA_FILE, seed=seed)
    ensure_demo_people(root, school_urns=[s["urn"] for s in schools])
    bench = BenchStack(root=root)
    try:
        bench.endpoints = stack.up(root=root, say=say)
        bench.wait_worker_ready()
        bench.wait_api_ready()
        yield bench
    finally:
        try:
            stack.down(root=root, say=lambda _m: None)
        finally:
            if not keep:
                shutil.rmtree(root, ignore_errors=True)


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, RAM, OS and Python: what the figures were taken on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cores": os.cpu_count() or 0,
        "cpu_model": model or "unknown",
        "ram_bytes": ram,
        "ram_gib": round(ram / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in load],
    }

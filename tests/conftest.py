"""Shared fixtures: one real Kafka broker and one real PostgreSQL for the whole test session.

They start only when an integration test asks for them, and a failure to start is an error,
never a skip: a missing broker must not pass for green.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ops import kafka_broker, postgres
from ops.migrations import apply_migrations
from ops.paths import free_port, state_dir
from ops.topics import apply_topics

# CI runs the same examples every time (no flakes from a lucky draw); a developer's run explores.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


class Stack:
    """Endpoints of the session's broker and database."""

    def __init__(self, bootstrap: str, dsn: str, root: Path) -> None:
        self.bootstrap = bootstrap
        self.dsn = dsn
        self.root = root


@contextlib.contextmanager
def running_stack(prefix: str) -> Iterator[Stack]:
    """Start a private broker and cluster under a fresh directory; stop and remove them after."""
    # Not pytest's tmp_path: it is 0700 and the postgres user must reach the data directory.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o755)  # noqa: S103 (the postgres user must traverse it)
    jar_cache = state_dir() / "kafka-cache"  # shared with `hub up`: jars are fetched once
    broker = kafka_broker.start(root / "kafka", jar_cache=jar_cache)
    try:
        db = postgres.start(root / "postgres")
        try:
            apply_topics(broker.bootstrap)
            apply_migrations(db.dsn)
            yield Stack(broker.bootstrap, db.dsn, root)
        finally:
            postgres.stop(root / "postgres")
    finally:
        kafka_broker.stop(root / "kafka")
        if not os.environ.get("HUB_TEST_KEEP_STATE"):  # set it to read the logs after a failure
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The session's broker and database, shared by the integration tests (and `worker`)."""
    with running_stack("hub-test-stack-") as session_stack:
        yield session_stack


@pytest.fixture
def unique_name() -> str:
    """A name no other test uses, for topics, groups and tables."""
    return f"t{uuid.uuid4().hex[:12]}"


class Worker:
    """A `hub worker` subprocess running against the session's stack."""

    def __init__(self, proc: subprocess.Popen[bytes], log: Path, metrics_url: str) -> None:
        self.proc = proc
        self.log = log
        self.metrics_url = metrics_url  # its Prometheus /metrics, for tests that check them

    def take_over(self, fresh: Worker) -> None:
        """Become a restarted worker (new process, log and metrics port), so the session's
        later tests and its teardown reach the one that is running."""
        self.proc, self.log, self.metrics_url = fresh.proc, fresh.log, fresh.metrics_url


def start_worker(stack: Stack, log: Path, *, timeout_s: float = 120.0) -> Worker:
    """Start the stream worker as its own process and wait until faust reports it ready."""
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": stack.bootstrap,
        "HUB_POSTGRES_DSN": stack.dsn,
        "HUB_STATE_DIR": str(stack.root),
        "HUB_METRICS_PORT": str(metrics_port := free_port()),
    }
    handle = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streams.worker"],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    handle.close()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited during start-up:\n{log.read_text()[-3000:]}")
        if "Worker]: Ready" in log.read_text(errors="replace"):
            return Worker(proc, log, f"http://127.0.0.1:{metrics_port}/metrics")
        time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"the worker was not ready within {timeout_s}s:\n{log.read_text()[-3000:]}")


def stop_worker(worker: Worker) -> None:
    """SIGTERM and wait, so faust commits its offsets and leaves the group cleanly."""
    if worker.proc.poll() is None:
        worker.proc.terminate()
        try:
            worker.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()


@pytest.fixture(scope="session")
def worker(stack: Stack) -> Iterator[Worker]:
    """One stream worker for the session (tests tell their records apart by event_id)."""
    running = start_worker(stack, stack.root / "worker.log")
    try:
        yield running
    finally:
        stop_worker(running)


class HubCli:
    """Runs `hub` as a user would, against its own fresh state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**os.environ, "HUB_STATE_DIR": str(root), "COLUMNS": "200"}

    def __call__(self, *args: str, timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ops.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )


@pytest.fixture
def hub_cli() -> Iterator[HubCli]:
    """A `hub` runner with a private state directory; stops its stack and removes it after."""
    root = Path(tempfile.mkdtemp(prefix="hub-test-cli-"))
    os.chmod(root, 0o755)  # noqa: S103 (the postgres user must traverse it)
    # Reuse the fetched jars so the test measures start-up, not downloads.
    (root / "kafka-cache").symlink_to(state_dir() / "kafka-cache")
    cli = HubCli(root)
    try:
        yield cli
    finally:
        cli("down")
        shutil.rmtree(root, ignore_errors=True)

"""`hub up --detach`, `hub status`, `hub down`, twice in a row, leaving no stray processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ops.paths import state_dir
from ops.processes import is_alive

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _hub(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_up_status_down_twice_leaves_nothing_running() -> None:
    root = Path(tempfile.mkdtemp(prefix="hub-test-cli-"))
    os.chmod(root, 0o755)  # noqa: S103 (the postgres user must traverse it)
    # Reuse the fetched jars so this test measures start-up, not downloads.
    (root / "kafka-cache").symlink_to(state_dir() / "kafka-cache")
    env = {**os.environ, "HUB_STATE_DIR": str(root)}
    pids: list[int] = []
    try:
        for _round in range(2):
            started = _hub("up", "--detach", env=env)
            assert started.returncode == 0, started.stdout + started.stderr
            assert "Kafka ready at" in started.stdout
            assert "PostgreSQL ready at" in started.stdout
            endpoints = json.loads((root / "endpoints.json").read_text())
            assert endpoints["kafka_bootstrap"].startswith("127.0.0.1:")
            assert endpoints["timings_s"]["kafka_start_to_ready"] > 0

            running = _hub("status", env=env)
            assert running.returncode == 0, running.stdout
            pids += [int((root / "kafka" / "kafka.pid").read_text())]

            stopped = _hub("down", env=env)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr
            assert "Kafka: stopped" in stopped.stdout
            assert "PostgreSQL: stopped" in stopped.stdout
            after = _hub("status", env=env)
            assert after.returncode == 1, "status must report the stack as down"
        assert not any(is_alive(pid) for pid in pids)
        # The second start reused the formatted storage: the topics created first time are there.
        assert (root / "kafka" / "data" / "meta.properties").is_file()
    finally:
        _hub("down", env=env)
        shutil.rmtree(root, ignore_errors=True)

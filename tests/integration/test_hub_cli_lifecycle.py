"""`hub up --detach`, `hub status`, `hub down`, twice in a row, leaving no stray processes."""

from __future__ import annotations

import json

import pytest

from ops.processes import is_alive
from tests.conftest import HubCli

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_up_status_down_twice_leaves_nothing_running(hub_cli: HubCli) -> None:
    root = hub_cli.root
    pids: list[int] = []
    for _round in range(2):
        started = hub_cli("up", "--detach")
        assert started.returncode == 0, started.stdout + started.stderr
        assert "Kafka ready at" in started.stdout
        assert "PostgreSQL ready at" in started.stdout
        endpoints = json.loads((root / "endpoints.json").read_text())
        assert endpoints["kafka_bootstrap"].startswith("127.0.0.1:")
        assert endpoints["timings_s"]["kafka_start_to_ready"] > 0

        running = hub_cli("status")
        assert running.returncode == 0, running.stdout
        pids += [int((root / "kafka" / "kafka.pid").read_text())]

        stopped = hub_cli("down")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert "Kafka: stopped" in stopped.stdout
        assert "PostgreSQL: stopped" in stopped.stdout
        after = hub_cli("status")
        assert after.returncode == 1, "status must report the stack as down"
    assert not any(is_alive(pid) for pid in pids)
    # The second start reused the formatted storage: the topics created first time are there.
    assert (root / "kafka" / "data" / "meta.properties").is_file()

"""The README's main job, run as a user runs it: `hub demo` on a fresh state directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from ops.paths import state_dir

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _hub(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_demo_streams_a_simulated_week_and_every_event_reaches_the_read_model() -> None:
    root = Path(tempfile.mkdtemp(prefix="hub-test-demo-"))
    os.chmod(root, 0o755)  # noqa: S103 (the postgres user must traverse it)
    (root / "kafka-cache").symlink_to(state_dir() / "kafka-cache")
    env = {**os.environ, "HUB_STATE_DIR": str(root), "COLUMNS": "200"}
    try:
        first = _hub("demo", "--children", "60", "--schools", "4", "--days", "3", env=env)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        assert (
            "reconciled: every published event is in the accepted read model once" in first.stdout
        )
        assert "Where to look" in first.stdout

        published = len((root / "demo" / "week.jsonl").read_text().splitlines())
        endpoints = json.loads((root / "endpoints.json").read_text())
        with psycopg.connect(endpoints["postgres_dsn"]) as conn:
            row = conn.execute("SELECT count(*) FROM accepted_events").fetchone()
        assert row == (published,), "each simulated event is projected exactly once"

        # A second run of the same scenario shows it again instead of re-publishing it.
        again = _hub("demo", "--children", "60", "--schools", "4", "--days", "3", env=env)
        assert again.returncode == 0, again.stdout[-3000:]
        assert "already in the log" in again.stdout
        with psycopg.connect(endpoints["postgres_dsn"]) as conn:
            assert conn.execute("SELECT count(*) FROM accepted_events").fetchone() == (published,)
    finally:
        _hub("down", env=env)
        shutil.rmtree(root, ignore_errors=True)

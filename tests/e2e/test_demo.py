"""The README's main job, run as a user runs it: `hub demo` on a fresh state directory."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.conftest import HubCli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_streams_a_simulated_week_and_every_event_reaches_the_read_model(
    hub_cli: HubCli,
) -> None:
    root = hub_cli.root
    first = hub_cli("demo", "--children", "60", "--schools", "4", "--days", "3")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "reconciled: every published event is in the accepted read model once" in first.stdout
    assert "Where to look" in first.stdout

    published = len((root / "demo" / "week.jsonl").read_text().splitlines())
    endpoints = json.loads((root / "endpoints.json").read_text())
    with psycopg.connect(endpoints["postgres_dsn"]) as conn:
        row = conn.execute("SELECT count(*) FROM accepted_events").fetchone()
    assert row == (published,), "each simulated event is projected exactly once"

    # A second run of the same scenario shows it again instead of re-publishing it.
    again = hub_cli("demo", "--children", "60", "--schools", "4", "--days", "3")
    assert again.returncode == 0, again.stdout[-3000:]
    assert "already in the log" in again.stdout
    with psycopg.connect(endpoints["postgres_dsn"]) as conn:
        assert conn.execute("SELECT count(*) FROM accepted_events").fetchone() == (published,)

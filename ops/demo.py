"""`hub demo`: the main job. Bring the local stack up, stream a synthetic multi-agency week
through it, wait until the read models have caught up, and tell the user where to look."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from ops import stack
from ops.paths import state_dir
from ops.processes import terminate
from ops.publish import PublishSummary, publish_file
from projections.api.demo import ensure_demo_people
from projections.api.people import PEOPLE_FILE_NAME
from streams.agents.encompass import STATE_AREA_FILE
from streams.encompass.area import write_synthetic_area
from streams.simulation import generate, to_lines


@dataclass(slots=True, kw_only=True)
class DemoReport:
    """What the demo streamed and what the hub made of it."""

    events_file: Path
    published: int
    rejected_locally: int
    accepted: int
    dead_lettered: int  # since this run started (duplicates of a re-publish land here)
    seconds_to_catch_up: float
    accepted_by_type: dict[str, int] = field(default_factory=dict)
    dead_letters_by_reason: dict[str, int] = field(default_factory=dict)


def _counts(dsn: str, event_ids: list[str]) -> tuple[int, dict[str, int]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT event_type, count(*) FROM accepted_events WHERE event_id = ANY(%s::uuid[]) "
            "GROUP BY event_type ORDER BY 2 DESC",
            (event_ids,),
        ).fetchall()
    by_type = {str(t): int(n) for t, n in rows}
    return sum(by_type.values()), by_type


def _dead_letters(dsn: str, since: datetime) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT reason, count(*) FROM dead_letters WHERE dead_lettered_at >= %s "
            "GROUP BY reason ORDER BY 2 DESC",
            (since,),
        ).fetchall()
    return {str(r): int(n) for r, n in rows}


def run_demo(
    *,
    say: Callable[[str], None],
    progress: Callable[[int, int], None],
    children: int = 300,
    schools: int = 12,
    days: int = 7,
    seed: int = 2026,
    timeout_s: float = 180.0,
) -> DemoReport:
    """Simulate, set the area up for it, bring the stack up, publish, and wait until the read
    models reconcile with what was published."""
    root = state_dir()
    started = datetime.now(UTC)
    first_day = started.date() - timedelta(days=days)
    scenario = generate(seed, children=children, schools=schools, days=days, start=first_day)
    # The worker re-reads the area file when it changes; the API reads its people at start, so it
    # is restarted (by `up`) when this scenario's schools bring new Key Adults.
    write_synthetic_area(scenario.manifest.schools, root / STATE_AREA_FILE, seed=seed)
    people = root / PEOPLE_FILE_NAME
    before = people.read_bytes() if people.is_file() else b""
    ensure_demo_people(root, school_urns=[s["urn"] for s in scenario.manifest.schools])
    if people.read_bytes() != before:
        terminate(root / "run" / "api.pid")
    endpoints = stack.up(say=say)
    demo_dir = Path(endpoints.state_dir) / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    events_file = demo_dir / "week.jsonl"
    with events_file.open("w", encoding="utf-8") as handle:
        handle.writelines(to_lines(scenario.events))
    (demo_dir / "manifest.json").write_text(json.dumps(scenario.manifest.to_json(), indent=1))
    say(
        f"Simulated {len(scenario.events)} events for {children} children across {schools} "
        f"schools over {days} days (seed {seed}): {events_file}"
    )

    total = len(scenario.events)
    event_ids = [str(e["event_id"]) for e in scenario.events]
    already, _ = _counts(endpoints.postgres_dsn, event_ids)
    if already == total:
        # Same seed, same event ids: publishing again would only make duplicate dead letters.
        say(
            "This scenario is already in the log (same seed): showing it, not publishing it "
            "again. Pass --seed N to stream a different week."
        )
        summary = PublishSummary(sent=total)
        progress(total, total)
    else:
        summary = publish_file(
            events_file,
            bootstrap=endpoints.kafka_bootstrap,
            now=started + timedelta(days=1),
            progress=lambda done: progress(done, total),
        )
        say(
            f"Published {summary.sent} events to the agencies' ingest topics "
            f"({len(summary.rejected)} refused before sending)"
        )

    began = time.monotonic()
    accepted = 0
    by_type: dict[str, int] = {}
    dead: dict[str, int] = {}
    while time.monotonic() - began < timeout_s:
        accepted, by_type = _counts(endpoints.postgres_dsn, event_ids)
        dead = _dead_letters(endpoints.postgres_dsn, started)
        if accepted >= summary.sent:
            break
        time.sleep(0.5)
    return DemoReport(
        events_file=events_file,
        published=summary.sent,
        rejected_locally=len(summary.rejected),
        accepted=accepted,
        dead_lettered=sum(dead.values()),
        seconds_to_catch_up=round(time.monotonic() - began, 1),
        accepted_by_type=by_type,
        dead_letters_by_reason=dead,
    )

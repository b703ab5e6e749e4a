"""The chronology stage against the real broker, a real worker and PostgreSQL: a synthetic
history of 1,000 children published as agencies would, then every chronology reconciled with
what was published; plus a backdated event that arrives last and must land in its place."""

from __future__ import annotations

import asyncio
import copy
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ops.publish import publish_file
from projections import chronology, store, tables
from projections.chronology.queries import chronology_for
from projections.model import Projection
from projections.runner import ProjectionRunner, RunnerConfig
from schemas.topics import ingest_topic_for_agency
from streams.chronology import ChronologyEntry
from streams.simulation import generate, to_lines
from tests.conftest import Stack, Worker

# Behind a shared session worker that may still be draining earlier tests' histories.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

CHILD_ROLES = ("CHILD", "UNBORN_CHILD")
AMENDMENTS = ("EntryCorrected", "EntryRetracted")


def _children(event: dict[str, Any]) -> int:
    return sum(s["role"] in CHILD_ROLES for s in event["subjects"])


@pytest.fixture
def instances(stack: Stack, unique_name: str) -> Iterator[tuple[Projection, Projection]]:
    """Side-by-side copies of the two projections, dropped afterwards."""
    suffix = f"__{unique_name}"
    bases = [chronology.ENTRIES, chronology.CHILD_RECORDS]
    asyncio.run(tables.ensure_instances(stack.dsn, bases, suffix))
    copies = [p.renamed(suffix) for p in bases]
    try:
        yield copies[0], copies[1]
    finally:

        async def drop() -> None:
            async with await store.connect(stack.dsn, application_name="test-cleanup") as conn:
                for copied in copies:
                    await tables.drop_copies(conn, copied)

        asyncio.run(drop())


def _project_until(
    stack: Stack, projections: tuple[Projection, Projection], table: str, ids: list[str], want: int
) -> float:
    """Run both projections until `table` holds `want` rows for these event ids; seconds taken."""
    started = time.monotonic()

    async def scenario() -> None:
        config = RunnerConfig(bootstrap=stack.bootstrap, dsn=stack.dsn, max_wait_ms=100)
        runners = [ProjectionRunner(p, config) for p in projections]
        tasks = [asyncio.create_task(r.run()) for r in runners]
        try:
            async with await store.connect(stack.dsn, application_name="test-wait") as conn:
                deadline = time.monotonic() + 150
                while True:
                    cur = await conn.execute(
                        f'SELECT count(*) FROM "{table}" WHERE event_id = ANY(%s::uuid[])',  # noqa: S608
                        (ids,),
                    )
                    row = await cur.fetchone()
                    if row is not None and row[0] >= want:
                        return
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{table}: {row} rows of {want} after 150s")
                    await asyncio.sleep(0.5)  # polling the row count, not waiting blindly
        finally:
            for runner in runners:
                runner.stop()
            await asyncio.gather(*tasks)

    asyncio.run(scenario())
    return time.monotonic() - started


def _has_every_case(events: list[dict[str, Any]]) -> bool:
    placed = [e for e in events if e["event_type"] != "PersonRegistered"]
    return (
        any(e["event_type"] == "ConcernRaised" and _children(e) == 1 for e in events)
        and any(len(g) == 2 for g in _by_police_reference(placed).values())
        and any(e["event_type"] == "EntryRetracted" for e in placed)
    )


def test_a_thousand_childrens_chronologies_reconcile_with_what_was_published(
    stack: Stack, worker: Worker, instances: tuple[Projection, Projection], tmp_path: Path
) -> None:
    entries_projection, _records_projection = instances
    suffix = entries_projection.name.removeprefix("chronology_entries")
    rng = random.Random()
    # Identifiers and police references in the generator depend on dates, not only the seed:
    # a random period keeps this history apart from others published in the same session.
    start = date(2022, 1, 3) + timedelta(days=rng.randrange(900))
    # A history holding every case checked below (a single-child concern, a re-notification and
    # a retraction): a random draw can lack one, and a test must not pass or fail by luck.
    while True:
        scenario = generate(rng.randrange(2**31), children=1000, schools=12, days=14, start=start)
        if _has_every_case(scenario.events):
            break
    events = scenario.events
    by_id = {str(e["event_id"]): e for e in events}
    placed = [e for e in events if e["event_type"] != "PersonRegistered"]

    # Independently of the hub: each placed event once per child subject it names...
    expected_placements = {str(e["event_id"]): _children(e) for e in placed}
    # ...which the manifest confirms (children's own events, plus the unborn children's).
    from_manifest = sum(
        1
        for child in scenario.manifest.children
        for event_id in child.event_ids
        if by_id[event_id]["event_type"] != "PersonRegistered"
    ) + sum(_children(by_id[i]) for i in scenario.manifest.events_without_child)
    assert sum(expected_placements.values()) == from_manifest

    # A backdated concern about the child of one of the school's concerns, published after
    # everything else: it happened three days before that concern.
    original = next(e for e in events if e["event_type"] == "ConcernRaised" and _children(e) == 1)
    backdated = copy.deepcopy(original)
    backdated |= {
        "event_id": uuid.uuid4(),
        "occurred_at": original["occurred_at"] - timedelta(days=3),
        "recorded_at": scenario.manifest.end,
        "concern_id": f"{original['concern_id']}-late",
    }
    path = tmp_path / "history.jsonl"
    path.write_text("".join(to_lines([*events, backdated])), encoding="utf-8")
    summary = publish_file(path, bootstrap=stack.bootstrap, now=datetime.now(UTC))
    assert summary.sent == len(events) + 1, summary.rejected[:3]
    assert ingest_topic_for_agency(backdated["source"]["agency_kind"]) in summary.by_topic
    expected_placements[str(backdated["event_id"])] = 1
    ids = list(expected_placements)

    seconds = _project_until(
        stack,
        instances,
        f"chronology_events{suffix}",
        ids,
        sum(expected_placements.values()),
    )
    print(f"\n{len(events) + 1} events published and projected in {seconds:.1f}s")

    with psycopg.connect(stack.dsn) as conn:
        rows = conn.execute(
            f'SELECT record_id, event_id::text, kind FROM "chronology_events{suffix}" '  # noqa: S608
            "WHERE event_id = ANY(%s::uuid[])",
            (ids,),
        ).fetchall()
        versions = conn.execute(
            f"SELECT record_id, source_event_id::text, entry_id::text, version, "  # noqa: S608
            f'superseded_by_event_id::text, retracted_by_event_id::text FROM "chronology_entries{suffix}" '
            "WHERE source_event_id = ANY(%s::uuid[])",
            (ids,),
        ).fetchall()
        records = sorted({r[0] for r in rows})
        children: dict[str, str] = dict(
            conn.execute(
                f'SELECT DISTINCT ON (record_id) record_id, child_id FROM "child_records{suffix}" '  # noqa: S608
                "WHERE record_id = ANY(%s) ORDER BY record_id, logged_at DESC, fact_rank DESC",
                (records,),
            ).fetchall()
        )
        assert set(children) == set(records), "every record's child is known"

        # 1. Each placed event in exactly as many record chronologies as it names children.
        placements = Counter(event_id for _record, event_id, _kind in rows)
        assert placements == Counter(expected_placements)
        # Every entry and correction is a version in each of its records, none lost or doubled.
        version_of = {(r, e) for r, e, *_ in versions}
        assert len(version_of) == len(versions)
        for record_id, event_id, kind in rows:
            if kind == "entry":
                assert (record_id, event_id) in version_of
        entries = {(r, e) for r, e, entry, v, *_ in versions if v == 1}
        renotified = sum(
            _children(e) for ref, group in _by_police_reference(placed).items() for e in group[1:]
        )
        kinds = Counter(kind for *_, kind in rows)
        corrections = kinds["correction"]
        assert len(entries) == kinds["entry"] - renotified
        assert len(versions) == kinds["entry"] + corrections

        # 2. Read per child: each event's entry once in each linked child's chronology.
        per_child: dict[str, list[ChronologyEntry]] = {}
        for child_id in sorted(set(children.values())):
            per_child[child_id] = list(
                chronology_for(conn, child_id, include_retracted=True, printed=False, suffix=suffix)
            )
        seen: Counter[str] = Counter()
        for chronology_rows in per_child.values():
            ours = [e for e in chronology_rows if e.source_event_id in expected_placements]
            assert len({(e.entry_id, e.version) for e in ours}) == len(ours)
            for e in ours:
                seen[e.source_event_id] += 1
            assert chronology_rows == sorted(
                chronology_rows,
                key=lambda e: (e.occurred_at, e.recorded_at, e.entry_id, e.version),
            )
        for event in placed:
            if event["event_type"] not in AMENDMENTS:
                assert seen[str(event["event_id"])] == _children(event)

        # 3. The backdated concern arrived last and sits in its place among entries that
        # happened after it but arrived before it.
        (backdated_record,) = [r for r, e, _k in rows if e == str(backdated["event_id"])]
        own = per_child[children[backdated_record]]
        place = [e.source_event_id for e in own].index(str(backdated["event_id"]))
        assert all(e.occurred_at <= backdated["occurred_at"] for e in own[:place])
        later = own[place + 1 :]
        assert later, "entries that happened later but were published earlier"
        assert all(e.occurred_at >= backdated["occurred_at"] for e in later)

        # 4. A re-notification (same police reference): one entry with two versions.
        ref, group = next(
            (ref, g) for ref, g in _by_police_reference(placed).items() if len(g) == 2
        )
        first, again = (str(e["event_id"]) for e in group)
        for record_id in {r for r, e, _k in rows if e == first}:
            auditor = [e for e in per_child[children[record_id]] if e.police_reference == ref]
            assert [(e.entry_id, e.version, e.source_event_id) for e in auditor] == [
                (first, 1, first),
                (first, 2, again),
            ]
            assert auditor[0].superseded is not None
            assert auditor[0].superseded.event_id == again
            practitioner = chronology_for(
                conn, children[record_id], include_retracted=False, printed=False, suffix=suffix
            )
            assert [e.source_event_id for e in practitioner if e.police_reference == ref] == [again]

        # 5. A retraction strikes the entry and keeps it for auditors, with who, when and why.
        retraction = next(e for e in placed if e["event_type"] == "EntryRetracted")
        target = str(retraction["retracts_event_id"])
        for record_id in {r for r, e, _k in rows if e == target}:
            child_id = children[record_id]
            struck = [e for e in per_child[child_id] if e.source_event_id == target]
            assert struck
            assert all(e.retracted is not None for e in struck)
            mark = struck[0].retracted
            assert mark is not None
            assert mark.event_id == str(retraction["event_id"])
            assert mark.by.practitioner_id == retraction["retracted_by"]
            assert mark.at == retraction["recorded_at"]
            assert mark.reason == retraction["reason"]
            current = chronology_for(
                conn, child_id, include_retracted=False, printed=False, suffix=suffix
            )
            assert all(e.source_event_id != target for e in current)
            stored = [v for v in versions if v[0] == record_id and v[1] == target]
            assert stored
            assert all(v[5] == str(retraction["event_id"]) for v in stored)

    # Every true child with an event has a chronology (an unresolved ambiguity is two).
    assert len(scenario.manifest.children) == 1000
    with_events = sum(
        any(i in expected_placements for i in c.event_ids) for c in scenario.manifest.children
    )
    assert len(set(children.values())) >= with_events
    print(
        f"{len(records)} child records, {len(set(children.values()))} children, "
        f"{len(rows)} placements, {len(entries)} entries, {len(versions)} versions; "
        f"{with_events} of 1,000 children have events"
    )


def _by_police_reference(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Incidents by police reference, first recorded first."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event["event_type"] == "IncidentRecorded":
            groups[event["police_reference"]].append(event)
    for group in groups.values():
        group.sort(key=lambda e: (e["recorded_at"], str(e["event_id"])))
    return groups

"""Curation against the real broker, a real worker and PostgreSQL: a lead practitioner's
EntryCurated leaves an entry out of the printed chronology while it stays in the record, the
latest curation of an entry wins, and a curation that arrives before its entry still applies.
The read API's query path (PgReadModel) prints the same."""

from __future__ import annotations

import asyncio
import copy
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer
from psycopg_pool import AsyncConnectionPool

from projections.api.pg import PgReadModel
from projections.chronology.queries import chronology_for
from projections.erasure.reveal import reveal_text
from projections.model import Projection
from schemas import codec
from schemas.topics import ingest_topic_for_agency
from streams.identity.identifiers import nhs_check_digit
from tests.conftest import Stack, Worker
from tests.integration.test_chronology_stage import _project_until, instances
from tests.unit.event_samples import sample_event, subject

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

__all__ = ["instances"]  # the fixture, shared with the chronology stage's test


def _nhs(rng: random.Random) -> str:
    while True:
        nine = f"999{rng.randrange(10**6):06d}"
        check = nhs_check_digit(nine)
        if check is not None:
            return f"{nine}{check}"


def _event(event_type: str, child: dict[str, Any], at: datetime, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(sample_event(event_type))
    record |= {
        "event_id": uuid.uuid4(),
        "occurred_at": at,
        "recorded_at": at + timedelta(minutes=5),
        "subjects": [child],
        **changes,
    }
    return record


def _curation(
    child: dict[str, Any], entry: dict[str, Any], at: datetime, *, included: bool
) -> dict[str, Any]:
    return _event("EntryCurated", child, at, curates_event_id=entry["event_id"], included=included)


@pytest.fixture
def published(stack: Stack, worker: Worker) -> dict[str, dict[str, Any]]:
    """One child's concerns and curations, published as agencies would, in this order."""
    child = subject("CHILD", nhs_number=_nhs(random.Random()))
    start = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    at = [start + timedelta(hours=h) for h in range(10)]
    tag = uuid.uuid4().hex[:8]
    a = _event("ConcernRaised", child, at[0], concern_id=f"A-{tag}")
    b = _event("ConcernRaised", child, at[1], concern_id=f"B-{tag}")
    c = _event("ConcernRaised", child, at[2], concern_id=f"C-{tag}")
    events = {
        "a": a,
        "b": b,
        "exclude_a": _curation(child, a, at[3], included=False),
        "exclude_c": _curation(child, c, at[4], included=False),  # before C itself arrives
        "exclude_b": _curation(child, b, at[5], included=False),
        "include_b": _curation(child, b, at[6], included=True),  # the latest for B wins
        "c": c,
    }
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    try:
        for record in events.values():
            topic = ingest_topic_for_agency(record["source"]["agency_kind"])
            wire = codec.encode(record["event_type"], record)
            producer.send(topic, key=str(record["event_id"]).encode(), value=wire).get(timeout=30)
    finally:
        producer.close()
    return events


def test_a_curated_entry_is_left_out_of_print_but_stays_in_the_record(
    stack: Stack,
    published: dict[str, dict[str, Any]],
    instances: tuple[Projection, Projection],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The read path opens sealed fields with the key store, which lives in the database.
    monkeypatch.setenv("HUB_POSTGRES_DSN", stack.dsn)
    entries, _records = instances
    suffix = entries.name.removeprefix("chronology_entries")
    ids = [str(e["event_id"]) for e in published.values()]
    _project_until(stack, instances, f"chronology_events{suffix}", ids, len(ids))
    a, b, c = (str(published[k]["event_id"]) for k in ("a", "b", "c"))

    with psycopg.connect(stack.dsn) as conn:
        # The projected structure: chronology_entries.included follows the latest curation.
        included: dict[str, bool] = dict(
            conn.execute(
                f"SELECT source_event_id::text, included FROM chronology_entries{suffix}"  # noqa: S608
                " WHERE source_event_id = ANY(%s::uuid[])",
                ([a, b, c],),
            ).fetchall()
        )
        assert included == {a: False, b: True, c: False}
        curations = conn.execute(
            f"SELECT target_event_id::text, included, amended_by, reason"  # noqa: S608
            f" FROM chronology_events{suffix} WHERE kind = 'curation'"
            " AND event_id = ANY(%s::uuid[]) ORDER BY recorded_at",
            (ids,),
        ).fetchall()
        exclude_a = published["exclude_a"]
        target, included_flag, role, sealed_reason = curations[0]
        assert (target, included_flag, role) == (a, False, exclude_a["curated_by_role"])
        # The curator's reason is free text: sealed in the log and the table, opened on read.
        assert sealed_reason.startswith("enc:v1:")
        assert reveal_text(sealed_reason) == exclude_a["reason"]
        assert len(curations) == 4
        (record_id, child_id) = conn.execute(
            f"SELECT c.record_id, r.child_id FROM chronology_events{suffix} AS c"  # noqa: S608
            f" JOIN child_records{suffix} AS r USING (record_id) WHERE c.event_id = %s",
            (a,),
        ).fetchone() or (None, None)
        assert child_id is not None

        # Read back: every entry is still in the record; the print leaves out A and C.
        everything = chronology_for(
            conn, child_id, include_retracted=False, printed=False, suffix=suffix
        )
        printed = chronology_for(
            conn, child_id, include_retracted=False, printed=True, suffix=suffix
        )
        assert [e.entry_id for e in everything] == [a, b, c]
        assert [e.entry_id for e in printed] == [b]
        excluded = next(e for e in everything if e.entry_id == a)
        assert excluded.curated is not None
        assert excluded.curated.event_id == str(exclude_a["event_id"])
        assert excluded.curated.by.practitioner_id == exclude_a["curated_by_role"]

        # The read API's path over the live tables: copy this child's rows in (fresh ids).
        live_child = f"CH-curation-{uuid.uuid4().hex[:10]}"
        conn.execute(
            f"INSERT INTO chronology_events SELECT * FROM chronology_events{suffix}"  # noqa: S608
            " WHERE record_id = %s ON CONFLICT DO NOTHING",
            (record_id,),
        )
        conn.execute(
            "INSERT INTO child_records (record_id, fact_event_id, child_id, logged_at, fact_rank)"
            " VALUES (%s, %s, %s, now(), 9)",
            (record_id, uuid.uuid4(), live_child),
        )
        conn.commit()

    async def read(printed: bool) -> list[str]:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            stack.dsn, min_size=1, max_size=2, open=False, kwargs={"autocommit": True}
        )
        await pool.open()
        try:
            model = PgReadModel(pool)
            shown = await model.chronology(
                await model.child_access(live_child), include_retracted=False, printed=printed
            )
        finally:
            await pool.close()
        return [e.entry_id for e in shown]

    assert asyncio.run(read(printed=True)) == [b]
    assert asyncio.run(read(printed=False)) == [a, b, c]

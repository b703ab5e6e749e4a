"""The read API against the real PostgreSQL (read models seeded with SQL) and the real broker:
every successful read produced exactly one RecordViewed on hub.log.audit.v1, refused reads
none, and an acknowledgement lands on hub.log.encompass.v1."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from projections.api.app import create_app
from projections.api.model import alert_id
from projections.api.people import PeopleStore, Person, Role
from projections.api.pg import PgReadModel
from projections.audit_log import rows as audit_rows
from projections.model import SourceRecord
from schemas import codec
from schemas.topics import AUDIT, ENCOMPASS
from streams.gateway.settings import KafkaClientSettings
from streams.gateway.sink import KafkaSink
from streams.gateway.tokens import hash_token
from tests.conftest import Stack
from tests.integration.api_seed import Seeded, seed_child
from tests.integration.kafka_helpers import read_until

pytestmark = pytest.mark.integration
PEPPER = b"integration-pepper-0123456789"

Scenario = Callable[[TestClient[web.Request, web.Application]], Awaitable[None]]


def _token(p: Person) -> str:
    return f"hub_it_{p.person_id}"


def run_api(stack: Stack, people: list[Person], scenario: Scenario) -> None:
    async def main() -> None:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            stack.dsn, min_size=1, max_size=4, open=False, kwargs={"autocommit": True}
        )
        await pool.open()
        sink = KafkaSink(KafkaClientSettings(bootstrap=stack.bootstrap))
        await sink.start()
        store = PeopleStore(PEPPER, {hash_token(_token(p), PEPPER): p for p in people})
        app = create_app(
            PgReadModel(pool), sink, store, session_key=PEPPER, registry=CollectorRegistry()
        )
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await scenario(client)
        finally:
            await client.close()
            await sink.close()
            await pool.close()

    asyncio.run(main())


def viewed_for(stack: Stack, child_id: str, count: int) -> list[dict[str, Any]]:
    records = read_until(
        stack.bootstrap,
        AUDIT,
        lambda kept: len(kept) >= count,
        keep=lambda r: r.key == child_id.encode(),
        timeout_s=30,
    )
    return [codec.decode(r.value).record for r in records]


def test_every_successful_read_writes_exactly_one_record_viewed(stack: Stack) -> None:
    seeded: Seeded = seed_child(stack.dsn)
    dpo = Person(
        person_id=f"dpo-{uuid.uuid4().hex[:6]}", name="Dee", role=Role.DPO, organisation_id="la:x"
    )
    statuses: list[int] = []

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        async def get(path: str, who: Person) -> dict[str, Any] | str:
            async with client.get(path, headers={"Authorization": f"Bearer {_token(who)}"}) as r:
                statuses.append(r.status)
                return await r.json() if r.content_type == "application/json" else await r.text()

        chronology = f"/v1/children/{seeded.child_id}/chronology"
        body = await get(f"{chronology}?reason=Encompass+follow-up", seeded.dsl)
        assert isinstance(body, dict)
        # The school sees its own concern in full and the notified incident at summary level,
        # not the social care entry (not shared with it).
        by_type = {e["agency_kind"]: e for e in body["entries"]}
        assert set(by_type) == {"SCHOOL", "POLICE"}
        assert by_type["POLICE"]["level"] == "SUMMARY"
        assert by_type["POLICE"]["action_taken"] == ""
        csv = await get(f"{chronology}?reason=conference&format=csv", seeded.dsl)
        assert isinstance(csv, str)
        assert "Came to school hungry" in csv
        inbox = await get(f"/v1/schools/{seeded.urn}/alerts", seeded.dsl)
        assert isinstance(inbox, dict)
        assert len(inbox["alerts"]) == 1
        audit_view = await get(f"{chronology}?reason=audit&include_retracted=true", dpo)
        assert isinstance(audit_view, dict)
        assert len(audit_view["entries"]) == 3
        # Refused reads: another school's DSL, and a non-auditor asking for retracted entries.
        await get(f"{chronology}?reason=curious", seeded.other_dsl)
        await get(f"/v1/schools/{seeded.urn}/alerts", seeded.other_dsl)
        await get(f"{chronology}?reason=x&include_retracted=true", seeded.dsl)
        await get(f"{chronology}", seeded.dsl)  # no reason: 400

    run_api(stack, [seeded.dsl, seeded.other_dsl, dpo], scenario)
    assert statuses == [200, 200, 200, 200, 404, 404, 404, 400]
    viewed = viewed_for(stack, seeded.child_id, 4)
    assert len(viewed) == 4, "exactly one RecordViewed per successful read, none for refusals"
    assert [v["view"] for v in viewed] == [
        "chronology",
        "chronology_csv",
        "encompass_inbox",
        "chronology",
    ]
    assert [v["viewer_id"] for v in viewed] == [seeded.dsl.person_id] * 3 + [dpo.person_id]
    assert all(v["child_status"] == "CHILD_PROTECTION_PLAN" for v in viewed)
    # The plan's responsible team (from child_status_events), not the service that published it.
    assert all(v["notify_team"] == seeded.team_id for v in viewed)
    assert viewed[3]["include_retracted"] is True
    # The audit_log projection maps each of them.
    for v in viewed:
        value = codec.encode("RecordViewed", v)
        (row,) = audit_rows(SourceRecord(topic=AUDIT, partition=0, offset=0, key=None, value=value))
        assert row.child_id == seeded.child_id


def test_acknowledging_an_alert_writes_the_acknowledgement_once(stack: Stack) -> None:
    seeded = seed_child(stack.dsn)
    answers: list[int] = []

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        path = f"/v1/schools/{seeded.urn}/alerts/{alert_id(seeded.police_reference, seeded.record_id)}/ack"
        headers = {"Authorization": f"Bearer {_token(seeded.dsl)}"}
        async with client.post(path, headers=headers) as r:
            answers.append(r.status)
        other = {"Authorization": f"Bearer {_token(seeded.other_dsl)}"}
        async with client.post(
            path.replace(seeded.urn, seeded.other_dsl.organisation_id[7:], 1), headers=other
        ) as r:
            answers.append(r.status)

    run_api(stack, [seeded.dsl, seeded.other_dsl], scenario)
    assert answers == [202, 404]
    (ack,) = [
        codec.decode(r.value).record
        for r in read_until(
            stack.bootstrap, ENCOMPASS, lambda kept: len(kept) >= 1,
            keep=lambda r: r.key == seeded.police_reference.encode(), timeout_s=30,
        )
    ]  # fmt: skip
    assert ack["record_id"] == seeded.record_id
    assert ack["organisation_id"] == seeded.urn
    assert ack["acknowledged_by"] == seeded.dsl.name


def test_the_responsible_team_is_told_of_reads_of_a_child_on_a_plan(stack: Stack) -> None:
    """CP-IS: a read of a child on a CP plan reaches its team's access notices, no one else's."""
    seeded = seed_child(stack.dsn)

    def social_worker(pid: str, team: str) -> Person:
        return Person(
            person_id=pid,
            name=f"Social Worker {pid}",
            role=Role.FRONT_DOOR_SOCIAL_WORKER,
            organisation_id="stockton-council",
            team_id=team,
        )

    team_sw = social_worker(f"sw-{seeded.team_id}", seeded.team_id)
    other_sw = social_worker(f"sw-other-{seeded.team_id}", f"other-{seeded.team_id}")
    chronology = f"/v1/children/{seeded.child_id}/chronology?reason=planning"

    async def read(client: TestClient[web.Request, web.Application]) -> None:
        headers = {"Authorization": f"Bearer {_token(seeded.dsl)}"}
        async with client.get(chronology, headers=headers) as r:
            assert r.status == 200

    run_api(stack, [seeded.dsl], read)
    (viewed,) = viewed_for(stack, seeded.child_id, 1)
    # What the audit_log projection writes for it (the projector is not running in this test).
    (row,) = audit_rows(
        SourceRecord(
            topic=AUDIT, partition=0, offset=0, key=None, value=codec.encode("RecordViewed", viewed)
        )
    )
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        names = list(row.__dataclass_fields__)
        conn.execute(
            sql.SQL("INSERT INTO audit_log ({}) VALUES ({})").format(
                sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ").join(sql.Placeholder() * len(names)),
            ),
            [getattr(row, n) for n in names],
        )
    answers: dict[str, Any] = {}

    async def notices(client: TestClient[web.Request, web.Application]) -> None:
        for who in (team_sw, other_sw, seeded.dsl):
            headers = {"Authorization": f"Bearer {_token(who)}"}
            async with client.get("/v1/access-notices", headers=headers) as r:
                answers[who.person_id] = (r.status, await r.json() if r.status == 200 else None)

    run_api(stack, [team_sw, other_sw, seeded.dsl], notices)
    status, body = answers[team_sw.person_id]
    assert status == 200
    assert [(n["child_id"], n["viewer_id"]) for n in body["notices"]] == [
        (seeded.child_id, seeded.dsl.person_id)
    ]
    assert answers[other_sw.person_id] == (200, {"team_id": other_sw.team_id, "notices": []})
    assert answers[seeded.dsl.person_id][0] == 404  # not a social worker: no notices exist


def test_the_referrer_sees_its_referrals_state_from_the_projection(stack: Stack) -> None:
    seeded = seed_child(stack.dsn)
    urn = seeded.urn
    referral_id = f"REF-{seeded.team_id}"
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO referrals (referral_id, made_at, referrer_agency_id, destination,"
            " receiving_agency_id, category, outcome, outcome_returned_at, decided_at)"
            " VALUES (%s, now() - interval '3 days', %s, 'FRONT_DOOR', 'stockton-childrens-hub',"
            " 'neglect', 'ADVICE_GIVEN', now() - interval '1 day', now() - interval '1 day')",
            (referral_id, f"urn-{urn}"),
        )
    answers: dict[str, Any] = {}

    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        for who in (seeded.dsl, seeded.other_dsl):
            headers = {"Authorization": f"Bearer {_token(who)}"}
            async with client.get("/v1/referrals", headers=headers) as r:
                answers[who.person_id] = await r.json()

    run_api(stack, [seeded.dsl, seeded.other_dsl], scenario)
    (mine,) = [s for s in answers[seeded.dsl.person_id]["ours"] if s["referral_id"] == referral_id]
    assert (mine["status"], mine["outcome"]) == ("decided", "ADVICE_GIVEN")
    assert mine["outcome_returned_at"] is not None
    others = answers[seeded.other_dsl.person_id]["ours"]
    assert referral_id not in {s["referral_id"] for s in others}

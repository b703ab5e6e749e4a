"""Hand-written fakes for the read API's unit tests: a read model, a sink and people."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from projections.api.app import create_app
from projections.api.model import (
    Alert,
    AuditEntry,
    AuditQuery,
    ChildAccess,
    ReferralState,
    SharedItem,
    SharedReferral,
)
from projections.api.people import PeopleStore, Person, Role, recipients_for
from projections.reporting.indicators import Count
from schemas import codec
from streams.chronology import ChronologyEntry, Source
from streams.gateway.tokens import hash_token

NOW = datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
PEPPER = b"unit-test-pepper-0123456789"
SESSION_KEY = b"unit-test-session-key-0123456789"


def person(
    pid: str, role: Role, org: str, *, team: str | None = None, alerts: Sequence[str] = ()
) -> Person:
    return Person(
        person_id=pid,
        name=f"Name {pid}",
        role=role,
        organisation_id=org,
        recipient_ids=recipients_for(role, org, team),
        alert_organisations=frozenset(alerts),
        team_id=team,
    )


# Each role at an organisation "a" (whose children are entitled) and "b" (whose are not).
def people_at(side: str) -> dict[Role, Person]:
    urn = "111111" if side == "a" else "222222"
    return {
        Role.SCHOOL_DSL: person(f"dsl-{side}", Role.SCHOOL_DSL, f"school:{urn}", alerts=[urn]),
        Role.HEALTH_VISITOR: person(f"hv-{side}", Role.HEALTH_VISITOR, f"health-{side}"),
        Role.SCHOOL_NURSE: person(f"sn-{side}", Role.SCHOOL_NURSE, f"health-{side}"),
        Role.FRONT_DOOR_SOCIAL_WORKER: person(
            f"sw-{side}",
            Role.FRONT_DOOR_SOCIAL_WORKER,
            f"la:{side}",
            team=f"hub-{side}",
            alerts=[f"hub-{side}"],
        ),
        Role.EARLY_HELP_LEAD_PRACTITIONER: person(
            f"eh-{side}", Role.EARLY_HELP_LEAD_PRACTITIONER, f"family-hub-{side}"
        ),
        Role.LA_ENCOMPASS_COORDINATOR: person(
            f"enc-{side}",
            Role.LA_ENCOMPASS_COORDINATOR,
            f"la:{side}",
            team=f"enc-{side}",
            alerts=[f"enc-{side}"],
        ),
        Role.DPO: person(f"dpo-{side}", Role.DPO, f"la:{side}"),
    }


def entry(
    event_id: str, *, agency: str = "SCHOOL", days: int = 3, ref: str | None = None
) -> ChronologyEntry:
    at = NOW - timedelta(days=days)
    return ChronologyEntry(
        entry_id=event_id,
        version=1,
        child_id="C-A",
        occurred_at=at,
        recorded_at=at,
        source=Source(agency_id=f"{agency.lower()}-1", agency_kind=agency, practitioner_role="DSL"),
        category="concern",
        summary=f"summary {event_id}",
        impact_on_child="impact",
        action_taken="action",
        source_event_id=event_id,
        lawful_basis="SAFEGUARDING_DPA2018_SCH1_PARA18",
        police_reference=ref,
    )


E1, E2 = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))


@dataclass
class FakeReadModel:
    """Child C-A: something shared with every side-a inbox, alerts to side-a organisations.
    Child C-NONE: known to the hub, shared with nobody. Anything else: unknown."""

    acknowledged: set[tuple[str, str]] = field(default_factory=set)

    def _alerts(self) -> list[Alert]:
        out = []
        for org in ("111111", "hub-a", "enc-a"):
            ref = f"CLE/{org}"
            out.append(
                Alert(
                    police_reference=ref,
                    record_id="R-A",
                    child_id="C-A",
                    organisation_id=org,
                    organisation_name=f"Org {org}",
                    key_adult_name="Key Adult",
                    recipient_kind="key_adult",
                    status="acknowledged" if (ref, "R-A") in self.acknowledged else "delivered",
                    deadline=NOW + timedelta(minutes=15),
                    issued_at=NOW - timedelta(hours=9),
                    delivered_at=NOW - timedelta(hours=9),
                    acknowledged_at=NOW if (ref, "R-A") in self.acknowledged else None,
                    acknowledged_by=None,
                    content={"child_given_name": "Amy", "child_family_name": "Example"},
                )
            )
        return out

    async def alerts(self, organisations: frozenset[str]) -> Sequence[Alert]:
        return [a for a in self._alerts() if a.organisation_id in organisations]

    async def alert(self, police_reference: str, record_id: str) -> Alert | None:
        found = [
            a
            for a in self._alerts()
            if (a.police_reference, a.record_id) == (police_reference, record_id)
        ]
        return found[0] if found else None

    async def child_access(self, child_id: str) -> ChildAccess:
        if child_id == "C-A":
            side_a = people_at("a").values()
            return ChildAccess(
                child_id=child_id,
                record_ids=("R-A",),
                shares=tuple(
                    SharedItem(source_event_id=E1, recipient_id=r, level="SUMMARY")
                    for p in side_a
                    for r in p.recipient_ids
                ),
                alerts={
                    a.organisation_id or "": frozenset({a.police_reference}) for a in self._alerts()
                },
                status="CHILD_PROTECTION_PLAN",
                responsible_team="hub-a",
            )
        if child_id == "C-NONE":
            return ChildAccess(child_id=child_id, record_ids=("R-NONE",))
        return ChildAccess(child_id=child_id, record_ids=())

    async def chronology(
        self, access: ChildAccess, *, include_retracted: bool, printed: bool
    ) -> Sequence[ChronologyEntry]:
        return (
            [entry(E1), entry(E2, agency="POLICE", days=1)]
            if access.child_id in ("C-A", "C-NONE")
            else []
        )

    async def referrals(self, recipient_ids: frozenset[str]) -> Sequence[SharedReferral]:
        return [
            SharedReferral(
                source_event_id=E2,
                record_id="R-A",
                child_id="C-A",
                recipient_id=r,
                event_type="ReferralMade",
                level="FULL",
                content={"referral_id": "REF-1"},
                occurred_at=NOW - timedelta(days=4),
                shared_at=NOW - timedelta(days=4),
            )
            for r in sorted(recipient_ids)
            if r.endswith(":social_worker")
        ]

    async def referral_states(
        self, agency_ids: frozenset[str], referral_ids: frozenset[str]
    ) -> Sequence[ReferralState]:
        """REF-1 (shared with social workers) was made by school 111111 and is overdue."""
        state = referral_state("REF-1", referrer="urn-111111", overdue=True)
        mine = {state.referrer_agency_id, state.receiving_agency_id, state.allocated_team_id}
        return [state] if agency_ids & mine or "REF-1" in referral_ids else []

    async def report_counts(self, month: str) -> Sequence[Count]:
        return [
            Count(indicator="referrals_by_source", agency="urn-111111", dimension="FRONT_DOOR", count=7),
            Count(indicator="referrals_by_source", agency="urn-222222", dimension="PITSTOP", count=2),
        ]  # fmt: skip

    async def audit(self, query: AuditQuery) -> Sequence[AuditEntry]:
        return []


def referral_state(referral_id: str, *, referrer: str, overdue: bool) -> ReferralState:
    return ReferralState(
        referral_id=referral_id,
        referrer_agency_id=referrer,
        destination="FRONT_DOOR",
        receiving_agency_id="la:a",
        allocated_team_id=None,
        category="neglect",
        risk_level="MEDIUM",
        made_at=NOW - timedelta(days=4),
        status="acknowledged",
        rag="AMBER",
        acknowledged_at=NOW - timedelta(days=4),
        panel_decision=None,
        outcome=None,
        outcome_reason=None,
        decided_at=None,
        outcome_returned_at=None,
        overdue_timer="outcome" if overdue else None,
        overdue_deadline=NOW - timedelta(days=1) if overdue else None,
        overdue_at=NOW - timedelta(days=1) if overdue else None,
    )


class FakeSink:
    """Keeps what it is sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.connected = True

    async def send(self, topic: str, *, key: bytes, value: bytes) -> None:
        self.sent.append((topic, key, value))

    def decoded(self, event_type: str) -> list[dict[str, Any]]:
        out = []
        for _, _, value in self.sent:
            d = codec.decode(value)
            if d.event_type == event_type:
                out.append(d.record)
        return out


def token_of(p: Person) -> str:
    return f"hub_token_for_{p.person_id}"


def store(people: Sequence[Person]) -> PeopleStore:
    return PeopleStore(PEPPER, {hash_token(token_of(p), PEPPER): p for p in people})


class Answer:
    def __init__(self, status: int, headers: Mapping[str, str], text: str) -> None:
        self.status, self.headers, self.text = status, headers, text
        try:
            self.json: Any = json.loads(text)
        except ValueError:
            self.json = None


class Api:
    """The app on a TestServer with fakes, driven synchronously."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.read_model = FakeReadModel()
        self.sink = FakeSink()
        self.registry = CollectorRegistry()
        app = create_app(
            self.read_model,
            self.sink,
            store(people),
            session_key=SESSION_KEY,
            clock=lambda: NOW,
            registry=self.registry,
        )
        self.loop = asyncio.new_event_loop()
        self.client: TestClient[web.Request, web.Application] = self.loop.run_until_complete(
            self._start(app)
        )

    async def _start(self, app: web.Application) -> TestClient[web.Request, web.Application]:
        client = TestClient(TestServer(app))
        await client.start_server()
        return client

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        allow_redirects: bool = False,
    ) -> Answer:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"

        async def go() -> Answer:
            async with self.client.request(
                method, path, headers=all_headers, data=data, allow_redirects=allow_redirects
            ) as resp:
                return Answer(resp.status, resp.headers, await resp.text())

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

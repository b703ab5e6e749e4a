"""Seed the read models directly with SQL for the read API's integration and browser tests.

One child per call, with fresh ids (the session's database is shared between tests): a record,
a school concern shared with the school's DSL, a police incident notified to the school under
Operation Encompass (not shared otherwise), and a child protection plan started.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from projections.api.people import Person, Role, recipients_for


@dataclass(frozen=True, slots=True)
class Seeded:
    child_id: str
    record_id: str
    urn: str
    police_reference: str
    concern_event_id: uuid.UUID
    incident_event_id: uuid.UUID
    dsl: Person
    other_dsl: Person
    team_id: str  # the CP plan's responsible team (told of every read)


def _chronology_event(
    cur: psycopg.Cursor[tuple[object, ...]],
    record_id: str,
    event_id: uuid.UUID,
    event_type: str,
    at: datetime,
    agency: tuple[str, str],
    category: str,
    summary: str,
    police_reference: str | None = None,
) -> None:
    cur.execute(
        "INSERT INTO chronology_events (record_id, event_id, event_type, kind, occurred_at,"
        " recorded_at, agency_id, agency_kind, practitioner_role, category, summary,"
        " impact_on_child, action_taken, lawful_basis, police_reference)"
        " VALUES (%s, %s, %s, 'entry', %s, %s, %s, %s, 'Practitioner', %s, %s, %s, %s,"
        " 'SAFEGUARDING_DPA2018_SCH1_PARA18', %s)",
        (record_id, event_id, event_type, at, at, agency[0], agency[1], category, summary,
         "Upset in class", "Spoke to the child", police_reference),
    )  # fmt: skip


def seed_child(dsn: str, *, now: datetime | None = None) -> Seeded:
    now = now or datetime.now(UTC)
    tag = uuid.uuid4().hex[:10]
    urn = str(100000 + uuid.uuid4().int % 800000)
    child_id, record_id, ref = f"CH-{tag}", f"R-{tag}", f"CLE/{tag}"
    concern, incident, plan = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO child_records (record_id, fact_event_id, child_id, logged_at, fact_rank)"
            " VALUES (%s, %s, %s, %s, 0)",
            (record_id, uuid.uuid4(), child_id, now - timedelta(days=30)),
        )
        _chronology_event(cur, record_id, concern, "ConcernRaised", now - timedelta(days=3),
                          (f"urn-{urn}", "SCHOOL"), "neglect", "Came to school hungry")  # fmt: skip
        _chronology_event(cur, record_id, incident, "IncidentRecorded", now - timedelta(hours=10),
                          ("cleveland-police", "POLICE"), "domestic abuse",
                          "Police attended a domestic incident at home", ref)  # fmt: skip
        _chronology_event(cur, record_id, plan, "ChildProtectionPlanStarted", now - timedelta(days=20),
                          ("stockton-childrens-hub", "SOCIAL_CARE"), "child protection",
                          "Child protection plan started")  # fmt: skip
        cur.execute(
            "INSERT INTO child_status_events (event_id, event_type, status, started, episode_id,"
            " responsible_team_id, agency_id, occurred_at, recorded_at) VALUES (%s,"
            " 'ChildProtectionPlanStarted', 'CHILD_PROTECTION_PLAN', true, %s, %s,"
            " 'stockton-childrens-hub', %s, %s)",
            (plan, f"CPP-{tag}", f"cin-{tag}", now - timedelta(days=20), now - timedelta(days=20)),
        )
        cur.execute(
            "INSERT INTO shares (source_event_id, record_id, recipient_id, share_event_id,"
            " event_type, recipient_role, relationship, level, basis, consent_scope, rule_number,"
            " policy_version, policy_content_hash, content, occurred_at, shared_at)"
            " VALUES (%s, %s, %s, %s, 'ConcernRaised', 'SCHOOL_DSL', 'CHILD_ENROLLED_AT', 'FULL',"
            " 'SAFEGUARDING_DPA2018_SCH1_PARA18', NULL, 1, 'test', 'hash', '{}', %s, %s)",
            (concern, record_id, f"school:{urn}:dsl", uuid.uuid4(), now, now),
        )
        content = {"child_given_name": "Ada", "child_family_name": f"Example-{tag}",
                   "child_date_of_birth": "2017-04-02", "circumstances": "Argument overheard"}  # fmt: skip
        cur.execute(
            "INSERT INTO encompass_alerts (police_reference, record_id, child_id, revision,"
            " recipient_kind, organisation_id, organisation_name, key_adult_name, deadline,"
            " issued_at, delivered_at, content) VALUES (%s, %s, %s, 1, 'key_adult', %s, %s,"
            " 'Key Adult', %s, %s, %s, %s)",
            (ref, record_id, child_id, urn, f"School {urn}", now + timedelta(minutes=15),
             now - timedelta(hours=9), now - timedelta(hours=9), json.dumps(content)),
        )  # fmt: skip

    def dsl(school: str, pid: str) -> Person:
        return Person(
            person_id=pid,
            name=f"Key Adult {school}",
            role=Role.SCHOOL_DSL,
            organisation_id=f"school:{school}",
            recipient_ids=recipients_for(Role.SCHOOL_DSL, f"school:{school}"),
            alert_organisations=frozenset({school}),
        )

    other = str(100000 + (int(urn) + 1) % 800000)
    return Seeded(
        child_id=child_id,
        record_id=record_id,
        urn=urn,
        police_reference=ref,
        concern_event_id=concern,
        incident_event_id=incident,
        dsl=dsl(urn, f"dsl-{tag}"),
        other_dsl=dsl(other, f"dsl-other-{tag}"),
        team_id=f"cin-{tag}",
    )

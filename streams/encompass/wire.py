"""The Encompass stage's events as Avro records (hub.encompass.*), and back (pure).

Envelope of every hub-derived Encompass event: ``source`` = the hub itself (agency_id ``hub``,
LOCAL_AUTHORITY, system ``hub``, no role: the hub publishes on the partnership's behalf);
``subjects`` empty (the child is named by record id; identifiers stay in the source event);
``event_id`` a uuid5 of what the event is, so re-processing derives the same id:
issued/rerouted per (police reference, record id, revision); deadline missed and escalated
once per (police reference, record id). All are keyed by police reference on
hub.log.encompass.v1.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from streams.encompass.model import IncidentFacts
from streams.encompass.notifications import (
    EncompassDeadlineMissed,
    EncompassEscalated,
    EscalationReason,
)
from streams.encompass.routing import Recipient, RecipientKind, RouteReason
from streams.encompass.state import Issue

ENCOMPASS_EVENT_NAMESPACE: Final = uuid.UUID("5d3c1a7e-9b42-5f08-a6e1-2c8b7f4d9e30")
HUB_SOURCE: Final = {
    "agency_id": "hub",
    "agency_kind": "LOCAL_AUTHORITY",
    "system": "hub",
    "practitioner_role": None,
}
ISSUED: Final = "EncompassNotificationIssued"
REROUTED: Final = "EncompassNotificationRerouted"
DEADLINE_MISSED: Final = "EncompassDeadlineMissed"
ESCALATED: Final = "EncompassEscalated"
ACKNOWLEDGED: Final = "EncompassNotificationAcknowledged"
TIMER_TYPES: Final = frozenset({DEADLINE_MISSED, ESCALATED})


def event_id(
    kind: str, police_reference: str, record_id: str, revision: int | None = None
) -> uuid.UUID:
    """The deterministic id of a derived Encompass event."""
    seed = f"{kind}:{police_reference}:{record_id}" + ("" if revision is None else f":{revision}")
    return uuid.uuid5(ENCOMPASS_EVENT_NAMESPACE, seed)


def _envelope(
    kind: str, ident: uuid.UUID, occurred_at: datetime, recorded_at: datetime
) -> dict[str, Any]:
    return {
        "event_id": ident,
        "event_type": kind,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "source": dict(HUB_SOURCE),
        "subjects": [],
        "lawful_basis": None,
    }


def _recipient(r: Recipient) -> dict[str, Any]:
    return {
        "kind": r.kind.name,
        "organisation_id": r.organisation_id,
        "organisation_name": r.organisation_name,
        "person_name": r.person_name,
        "reason": r.reason.value,
        "intended_urn": r.intended_urn,
    }


def _to(r: Recipient) -> dict[str, Any]:
    return {
        "to_kind": r.kind.name,
        "to_organisation_id": r.organisation_id,
        "to_organisation_name": r.organisation_name,
        "to_person_name": r.person_name,
    }


def issue_records(
    issue: Issue, *, incident: IncidentFacts, child_id: str, source_event_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """(event type, record) for each event an Issue publishes, in order."""
    s = issue.state
    out: list[tuple[str, dict[str, Any]]] = []
    if issue.rerouted_from is not None:
        out.append((REROUTED, {
            **_envelope(REROUTED, event_id(REROUTED, s.police_reference, s.record_id, s.revision),
                        incident.occurred_at, incident.recorded_at),
            "police_reference": s.police_reference,
            "record_id": s.record_id,
            "from_organisation_id": issue.rerouted_from,
            **_to(issue.recipients[0]),
            "reason": issue.reroute_reason or "rerouted",
            "rerouted_at": s.issued_at,
        }))  # fmt: skip
    out.append((ISSUED, {
        **_envelope(ISSUED, event_id(ISSUED, s.police_reference, s.record_id, s.revision),
                    incident.occurred_at, incident.recorded_at),
        "police_reference": s.police_reference,
        "record_id": s.record_id,
        "child_id": child_id,
        "revision": s.revision,
        "local_authority": incident.local_authority,
        "recipients": [_recipient(r) for r in issue.recipients],
        "content": issue.content.as_dict(),
        "deadline": s.deadline,
        "escalate_to": _recipient(issue.escalate_to),
        "issued_at": s.issued_at,
        "delivered_at": s.delivered_at,
        "source_event_id": uuid.UUID(source_event_id),
    }))  # fmt: skip
    if issue.escalation is not None:
        out.append(
            timer_record(
                EncompassEscalated(
                    police_reference=s.police_reference,
                    child_key=s.record_id,
                    to=issue.escalate_to,
                    reason=issue.escalation,
                    about_organisation_id=issue.recipients[0].intended_urn,
                    escalated_at=s.issued_at,
                )
            )
        )
    return out


def timer_record(event: EncompassDeadlineMissed | EncompassEscalated) -> tuple[str, dict[str, Any]]:
    """(event type, record) of a timer's (or an immediate escalation's) event."""
    pr, rid = event.police_reference, event.child_key
    if isinstance(event, EncompassDeadlineMissed):
        at = event.detected_at
        return DEADLINE_MISSED, {
            **_envelope(DEADLINE_MISSED, event_id(DEADLINE_MISSED, pr, rid), at, at),
            "police_reference": pr,
            "record_id": rid,
            "organisation_id": event.organisation_id,
            "deadline": event.deadline,
            "detected_at": at,
        }
    at = event.escalated_at
    return ESCALATED, {
        **_envelope(ESCALATED, event_id(ESCALATED, pr, rid), at, at),
        "police_reference": pr,
        "record_id": rid,
        **_to(event.to),
        "reason": event.reason.name,
        "about_organisation_id": event.about_organisation_id,
        "escalated_at": at,
    }


def timer_event(
    event_type: str, record: Mapping[str, Any]
) -> EncompassDeadlineMissed | EncompassEscalated:
    """The inverse of timer_record (the stage folds what its timer sent)."""
    if event_type == DEADLINE_MISSED:
        return EncompassDeadlineMissed(
            police_reference=record["police_reference"],
            child_key=record["record_id"],
            organisation_id=record["organisation_id"],
            deadline=record["deadline"],
            detected_at=record["detected_at"],
        )
    return EncompassEscalated(
        police_reference=record["police_reference"],
        child_key=record["record_id"],
        to=Recipient(
            kind=RecipientKind[record["to_kind"]],
            organisation_id=record["to_organisation_id"],
            organisation_name=record["to_organisation_name"],
            person_name=record["to_person_name"],
            reason=RouteReason.ESCALATION,
        ),
        reason=EscalationReason[record["reason"]],
        about_organisation_id=record["about_organisation_id"],
        escalated_at=record["escalated_at"],
    )

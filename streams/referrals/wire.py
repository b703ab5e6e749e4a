"""The referral stage's hub-derived events as Avro records (hub.referrals.*), pure.

Envelope of every hub-derived referral event: ``source`` = the hub (agency_id ``hub``,
LOCAL_AUTHORITY, system ``hub``, no role); ``subjects`` empty (identifiers stay in the source
events); ``event_id`` a uuid5 of what the event is, so re-processing derives the same id. All
are keyed by referral_id on hub.log.referrals.v1.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from streams.referrals.rules import Destination, Rag, ReferralFacts, Route
from streams.referrals.state import Missed, Outcome

NAMESPACE: Final = uuid.UUID("2f0b8c1e-6a4d-5e37-9c21-7b5d3e8f1a64")
HUB_SOURCE: Final = {
    "agency_id": "hub",
    "agency_kind": "LOCAL_AUTHORITY",
    "system": "hub",
    "practitioner_role": None,
}
MADE: Final = "ReferralMade"
OUTCOME: Final = "ReferralOutcomeRecorded"
ACKNOWLEDGED: Final = "ReferralAcknowledged"
TRIAGED: Final = "ReferralTriaged"
CONTRIBUTION: Final = "PitstopContributionAdded"
PANEL_DECISION: Final = "PitstopDecisionRecorded"
ROUTED: Final = "ReferralRouted"
RETURNED: Final = "ReferralOutcomeReturned"
OVERDUE: Final = "ReferralOverdue"
# Agency events the stage folds (contributions are shared by the sharing stage, not timed).
FOLDED: Final = frozenset({MADE, OUTCOME, ACKNOWLEDGED, TRIAGED, PANEL_DECISION})
MANAGER_ROLE: Final = "Team manager"
_CHILD_ROLES: Final = frozenset({"CHILD", "UNBORN_CHILD"})


def routed_event_id(
    made_event_id: str, record_id: str | None, trigger_event_id: str | None = None
) -> uuid.UUID:
    """A routing's id: the referral's first routing for a record, or a later re-routing (or a
    change of the referral's route) caused by the event `trigger_event_id`."""
    name = f"{ROUTED}:{made_event_id}:{record_id or ''}"
    return uuid.uuid5(NAMESPACE, name if trigger_event_id is None else f"{name}:{trigger_event_id}")


def returned_event_id(outcome_event_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{RETURNED}:{outcome_event_id}")


def overdue_event_id(referral_id: str, timer: str, deadline: datetime) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{OVERDUE}:{referral_id}:{timer}:{deadline.isoformat()}")


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


def names_a_child(record: Mapping[str, Any]) -> bool:
    """True if the event has a CHILD or UNBORN_CHILD subject (it then reaches the spine)."""
    return any(s.get("role") in _CHILD_ROLES for s in record.get("subjects") or [])


def facts_of(record: Mapping[str, Any]) -> ReferralFacts:
    """What routing needs from a ReferralMade record."""
    return ReferralFacts(
        referrer_kind=record["source"]["agency_kind"],
        named_destination=Destination(record["destination"]),
        risk_level=record.get("risk_level"),
        category=record["category"],
        service_name=record.get("service_name"),
    )


def routed_record(
    made: Mapping[str, Any],
    route: Route,
    *,
    record_id: str | None,
    trigger_event_id: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """ReferralRouted for one child record (times copied from the ReferralMade); a re-routing
    names the event that caused it (see `routed_event_id`)."""
    made_id = str(made["event_id"])
    ident = routed_event_id(made_id, record_id, trigger_event_id)
    return ROUTED, {
        **_envelope(ROUTED, ident, made["occurred_at"], made["recorded_at"]),
        "referral_id": made["referral_id"],
        "referral_event_id": uuid.UUID(made_id),
        "record_id": record_id,
        "named_destination": made["destination"],
        "destination": route.destination.value,
        "receiving_agency_id": route.receiving_agency_id,
        "reason": route.reason.name,
        "rule": route.rule,
        "allocated_team_id": route.allocated_team_id,
        "referrer_agency_id": made["source"]["agency_id"],
    }


def routing_made(made: Mapping[str, Any]) -> dict[str, Any]:
    """What re-routing a referral needs of its ReferralMade, as JSON (no summary, no subjects)."""
    return {
        "event_id": str(made["event_id"]),
        "occurred_at": made["occurred_at"].isoformat(),
        "recorded_at": made["recorded_at"].isoformat(),
        "referral_id": made["referral_id"],
        "destination": made["destination"],
        "source": {
            "agency_id": made["source"]["agency_id"],
            "agency_kind": made["source"]["agency_kind"],
        },
        "risk_level": made.get("risk_level"),
        "category": made["category"],
        "service_name": made.get("service_name"),
    }


def made_of(routing: Mapping[str, Any]) -> dict[str, Any]:
    """`routing_made`'s JSON back as the fields `routed_record` and `facts_of` read."""
    return {
        **routing,
        "occurred_at": datetime.fromisoformat(routing["occurred_at"]),
        "recorded_at": datetime.fromisoformat(routing["recorded_at"]),
    }


def made_of_routed(routed: Mapping[str, Any]) -> dict[str, Any]:
    """The ReferralMade fields a ReferralRouted carries (to derive another routing of it)."""
    return {
        "event_id": str(routed["referral_event_id"]),
        "occurred_at": routed["occurred_at"],
        "recorded_at": routed["recorded_at"],
        "referral_id": routed["referral_id"],
        "destination": routed["named_destination"],
        "source": {"agency_id": routed["referrer_agency_id"]},
    }


def route_of(record: Mapping[str, Any]) -> Route:
    """The Route a ReferralRouted record carries."""
    from streams.referrals.rules import RouteReason

    return Route(
        destination=Destination(record["destination"]),
        receiving_agency_id=record["receiving_agency_id"],
        reason=RouteReason[record["reason"]],
        rule=record["rule"],
        allocated_team_id=record["allocated_team_id"],
    )


def returned_record(
    referral_id: str,
    outcome: Outcome,
    *,
    referrer_agency_id: str,
    receiving_agency_id: str | None,
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    """ReferralOutcomeReturned: the outcome went back to the referrer at `now`."""
    return RETURNED, {
        **_envelope(RETURNED, returned_event_id(outcome.event_id), outcome.decided_at, now),
        "referral_id": referral_id,
        "outcome_event_id": uuid.UUID(outcome.event_id),
        "referrer_agency_id": referrer_agency_id,
        "receiving_agency_id": receiving_agency_id,
        "outcome": outcome.outcome,
        "decided_at": outcome.decided_at,
        "returned_at": max(now, outcome.decided_at),
    }


def overdue_record(missed: Missed, now: datetime) -> tuple[str, dict[str, Any]]:
    """ReferralOverdue for one missed time limit, detected at `now`."""
    ident = overdue_event_id(missed.referral_id, missed.kind.value, missed.deadline)
    return OVERDUE, {
        **_envelope(OVERDUE, ident, missed.deadline, max(now, missed.deadline)),
        "referral_id": missed.referral_id,
        "timer": missed.kind.value,
        "deadline": missed.deadline,
        "detected_at": now,
        "met_late_at": missed.met_late_at,
        "receiving_agency_id": missed.receiving_agency_id,
        "notify_role": MANAGER_ROLE,
        "referrer_agency_id": missed.referrer_agency_id,
    }


def rag_of(record: Mapping[str, Any]) -> Rag:
    return Rag(record["rag"])

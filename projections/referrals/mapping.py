"""referrals: one row per referral for the referrer's and the receiving team's views.

Keyed by referral_id. ReferralMade (from hub.log.accepted.v1) writes who referred, where and
when; ReferralRouted, ReferralAcknowledged, ReferralTriaged, PitstopDecisionRecorded,
ReferralOutcomeRecorded and ReferralOutcomeReturned each set only their own columns (a "merge"
write), so the order they arrive in does not matter. Every ReferralOverdue is also a row of
referral_overdue (first write wins), which the indicators count. No summary text is copied:
the view shows ids, statuses, times and the outcome.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.model import SourceRecord, decode_or_skip, framed_outside
from schemas.catalogue import catalogue
from streams.referrals import wire


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralRow:
    """A row of referrals; None: this event does not say (the stored value stays)."""

    referral_id: str
    made_event_id: uuid.UUID | None = None
    made_at: datetime | None = None
    referrer_agency_id: str | None = None
    referrer_kind: str | None = None
    named_destination: str | None = None
    service_name: str | None = None
    category: str | None = None
    risk_level: str | None = None
    destination: str | None = None
    receiving_agency_id: str | None = None
    route_reason: str | None = None
    allocated_team_id: str | None = None
    acknowledged_at: datetime | None = None
    rag: str | None = None
    rated_at: datetime | None = None
    panel_decision: str | None = None
    panel_decided_at: datetime | None = None
    outcome: str | None = None
    outcome_event_id: uuid.UUID | None = None
    outcome_reason: str | None = None
    decided_at: datetime | None = None
    outcome_returned_at: datetime | None = None
    overdue_at: datetime | None = None
    overdue_timer: str | None = None
    overdue_deadline: datetime | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OverdueRow:
    """A row of referral_overdue: one missed time limit."""

    event_id: uuid.UUID
    referral_id: str
    timer: str
    deadline: datetime
    detected_at: datetime
    met_late_at: datetime | None
    receiving_agency_id: str
    referrer_agency_id: str


def _made(e: dict[str, Any]) -> ReferralRow:
    return ReferralRow(
        referral_id=e["referral_id"],
        made_event_id=e["event_id"],
        made_at=e["occurred_at"],
        referrer_agency_id=e["source"]["agency_id"],
        referrer_kind=e["source"]["agency_kind"],
        named_destination=e["destination"],
        service_name=e["service_name"],
        category=e["category"],
        risk_level=e["risk_level"],
        recorded_at=e["recorded_at"],
    )


@functools.cache
def referral_event_types() -> frozenset[str]:
    """The event types whose records carry a referral_id: the only ones this projection reads
    (most of the accepted log is not about referrals, so the rest are skipped undecoded)."""
    known = catalogue()
    schemas = (known.get(event_type) for event_type in known.event_types)
    return frozenset(
        schema.current.event_type
        for schema in schemas
        if schema is not None
        and any(f["name"] == "referral_id" for f in schema.current.expanded["fields"])
    )


def rows(record: SourceRecord) -> Sequence[ReferralRow | OverdueRow]:
    """The row changes for one record of hub.log.accepted.v1 or hub.log.referrals.v1."""
    if framed_outside(record, referral_event_types()):
        return ()
    decoded = decode_or_skip(record)
    e = decoded.record
    kind = decoded.event_type
    if kind == wire.MADE:
        return (_made(e),)
    if "referral_id" not in e:
        return ()
    key: dict[str, Any] = {"referral_id": e["referral_id"]}
    if kind == wire.ROUTED:
        return (
            ReferralRow(
                **key,
                destination=e["destination"],
                receiving_agency_id=e["receiving_agency_id"],
                route_reason=e["reason"],
                allocated_team_id=e["allocated_team_id"],
            ),
        )
    if kind == wire.ACKNOWLEDGED:
        return (ReferralRow(**key, acknowledged_at=e["occurred_at"]),)
    if kind == wire.TRIAGED:
        return (ReferralRow(**key, rag=e["rag"], rated_at=e["occurred_at"]),)
    if kind == wire.PANEL_DECISION:
        return (
            ReferralRow(**key, panel_decision=e["decision"], panel_decided_at=e["occurred_at"]),
        )
    if kind == wire.OUTCOME:
        return (
            ReferralRow(
                **key,
                outcome=e["outcome"],
                outcome_event_id=e["event_id"],
                outcome_reason=e["reason"],
                decided_at=e["occurred_at"],
            ),
        )
    if kind == wire.RETURNED:
        return (ReferralRow(**key, outcome_returned_at=e["returned_at"]),)
    if kind == wire.OVERDUE:
        return (
            ReferralRow(
                **key,
                overdue_at=e["detected_at"],
                overdue_timer=e["timer"],
                overdue_deadline=e["deadline"],
            ),
            OverdueRow(
                event_id=e["event_id"],
                referral_id=e["referral_id"],
                timer=e["timer"],
                deadline=e["deadline"],
                detected_at=e["detected_at"],
                met_late_at=e["met_late_at"],
                receiving_agency_id=e["receiving_agency_id"],
                referrer_agency_id=e["referrer_agency_id"],
            ),
        )
    return ()

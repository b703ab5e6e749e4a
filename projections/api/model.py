"""What the read API reads, as plain values, and the port it reads them through.

``ReadModel`` is the one interface the handlers need; ``projections.api.pg`` implements it over
the projections' tables, and unit tests implement it with hand-written fakes.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from projections.reporting.indicators import Count
from streams.chronology import ChronologyEntry

LEVELS = ("EXISTENCE_ONLY", "SUMMARY", "FULL")
CP_PLAN = "CHILD_PROTECTION_PLAN"
LOOKED_AFTER = "LOOKED_AFTER"


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One Operation Encompass notification in a recipient's inbox (encompass_alerts)."""

    police_reference: str
    record_id: str
    child_id: str | None
    organisation_id: str | None
    organisation_name: str | None
    key_adult_name: str | None
    recipient_kind: str | None
    status: str
    deadline: datetime | None
    issued_at: datetime | None
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    content: dict[str, Any] = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        return alert_id(self.police_reference, self.record_id)


def alert_id(police_reference: str, record_id: str) -> str:
    """An opaque, URL-safe id for a notification (police references may hold slashes)."""
    raw = f"{police_reference}\x1f{record_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_alert_id(text: str) -> tuple[str, str] | None:
    """(police reference, record id) from ``alert_id``; None if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    reference, sep, record_id = raw.partition("\x1f")
    return (reference, record_id) if sep and reference and record_id else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedItem:
    """That an event about the child was shared with a recipient at a level (not revoked)."""

    source_event_id: str
    recipient_id: str
    level: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildAccess:
    """What decides who may read a child's record, and who hears about it."""

    child_id: str
    record_ids: tuple[str, ...]
    shares: tuple[SharedItem, ...] = ()
    # Encompass recipient organisation -> police references notified to it about this child.
    alerts: dict[str, frozenset[str]] = field(default_factory=dict)
    status: str | None = None  # CP_PLAN, LOOKED_AFTER or None
    responsible_team: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedReferral:
    """A referral or a referral outcome shared with the person (shares, by event type)."""

    source_event_id: str
    record_id: str
    child_id: str | None
    recipient_id: str
    event_type: str  # ReferralMade or ReferralOutcomeRecorded
    level: str
    content: dict[str, Any]
    occurred_at: datetime
    shared_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """A row of audit_log."""

    event_id: str
    viewed_at: datetime
    viewer_id: str
    viewer_name: str
    viewer_role: str
    organisation_id: str
    child_id: str
    view: str
    endpoint: str
    reason: str
    include_retracted: bool
    items_shown: int
    child_status: str | None
    notify_team: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """Filters of the audit view (all optional)."""

    child_id: str | None = None
    viewer_id: str | None = None
    organisation_id: str | None = None
    notify_team: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralState:
    """One row of the referrals projection: where a referral is, as the hub's timers see it."""

    referral_id: str
    referrer_agency_id: str | None
    destination: str | None
    receiving_agency_id: str | None
    allocated_team_id: str | None
    category: str | None
    risk_level: str | None
    made_at: datetime | None
    status: str  # awaiting, acknowledged, triaged, panel_decided, decided
    rag: str | None
    acknowledged_at: datetime | None
    panel_decision: str | None
    outcome: str | None
    outcome_reason: str | None
    decided_at: datetime | None
    outcome_returned_at: datetime | None
    overdue_timer: str | None
    overdue_deadline: datetime | None
    overdue_at: datetime | None


class ReadModel(Protocol):
    """The read side the API needs; every method is one short query."""

    async def alerts(self, organisations: frozenset[str]) -> Sequence[Alert]:
        """Notifications addressed to these organisations, by deadline."""
        ...

    async def alert(self, police_reference: str, record_id: str) -> Alert | None: ...

    async def child_access(self, child_id: str) -> ChildAccess:
        """Records, shares, alerts and status of a child (no records: an unknown child)."""
        ...

    async def chronology(
        self, access: ChildAccess, *, include_retracted: bool, printed: bool
    ) -> Sequence[ChronologyEntry]:
        """The chronology of the records `access` found the child's: the records the access
        check looked at are the ones read, with no second look that could differ."""
        ...

    async def referrals(self, recipient_ids: frozenset[str]) -> Sequence[SharedReferral]: ...

    async def referral_states(
        self, agency_ids: frozenset[str], referral_ids: frozenset[str]
    ) -> Sequence[ReferralState]:
        """The hub's state of referrals these agencies made, receive or are allocated, and of
        these referral ids (ids, statuses and times only: no child, no content)."""
        ...

    async def report_counts(self, month: str) -> Sequence[Count]:
        """The partnership indicators' raw counts for a YYYY-MM month (suppress before showing)."""
        ...

    async def audit(self, query: AuditQuery) -> Sequence[AuditEntry]: ...

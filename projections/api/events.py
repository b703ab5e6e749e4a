"""What the read API writes to the log: RecordViewed (audit) and Encompass acknowledgements.

Both are encoded with the one codec and handed to an ``EventSink`` (the ingest gateway's port:
an idempotent aiokafka producer with acks=all in production, a list in unit tests). A read is
answered only after its RecordViewed is acknowledged by the broker: no audit, no answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from projections.api.model import Alert, ChildAccess
from projections.api.people import Person
from schemas import codec, topics
from streams.encompass import wire
from streams.gateway.sink import EventSink

API_SOURCE: Final = {
    "agency_id": "hub",
    "agency_kind": "LOCAL_AUTHORITY",
    "system": "hub-api",
    "practitioner_role": None,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class View:
    """One read of one child's record: what, through which route, and why."""

    view: str
    endpoint: str
    reason: str
    include_retracted: bool = False
    items_shown: int = 0


def _envelope(event_type: str, event_id: uuid.UUID, at: datetime) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": at,
        "recorded_at": at,
        "source": dict(API_SOURCE),
        "subjects": [],
        "lawful_basis": None,
    }


def record_viewed(
    person: Person, access: ChildAccess, view: View, *, at: datetime, event_id: uuid.UUID
) -> dict[str, Any]:
    """The RecordViewed record for one read (the responsible team is told of CP / LAC reads)."""
    return {
        **_envelope("RecordViewed", event_id, at),
        "viewer_id": person.person_id,
        "viewer_name": person.name,
        "viewer_role": person.role.value,
        "organisation_id": person.organisation_id,
        "child_id": access.child_id,
        "view": view.view,
        "endpoint": view.endpoint,
        "reason": view.reason,
        "include_retracted": view.include_retracted,
        "items_shown": view.items_shown,
        "child_status": access.status,
        "notify_team": access.responsible_team if access.status else None,
        "viewed_at": at,
    }


def acknowledged(person: Person, alert: Alert, *, at: datetime) -> dict[str, Any]:
    """EncompassNotificationAcknowledged for a Key Adult's one-click acknowledgement.

    Its event_id is derived from the notification, so a double click yields one event id.
    """
    ident = wire.event_id(wire.ACKNOWLEDGED, alert.police_reference, alert.record_id)
    return {
        **_envelope(wire.ACKNOWLEDGED, ident, at),
        "police_reference": alert.police_reference,
        "record_id": alert.record_id,
        "organisation_id": alert.organisation_id or "",
        "acknowledged_by": person.name,
        "acknowledged_at": at,
    }


class Recorder:
    """Writes the API's events through a sink; counts what it wrote."""

    def __init__(self, sink: EventSink, on_audit: Any = None) -> None:
        self.sink = sink
        self._on_audit = on_audit

    async def viewed(
        self, person: Person, access: ChildAccess, view: View, *, at: datetime
    ) -> uuid.UUID:
        """Produce one RecordViewed (raises SinkUnavailable: the caller answers 503)."""
        ident = uuid.uuid4()  # each view is a new fact
        record = record_viewed(person, access, view, at=at, event_id=ident)
        await self.sink.send(
            topics.AUDIT,
            key=access.child_id.encode(),
            value=codec.encode("RecordViewed", record),
        )
        if self._on_audit is not None:
            self._on_audit(view.view)
        return ident

    async def acknowledge(self, person: Person, alert: Alert, *, at: datetime) -> uuid.UUID:
        record = acknowledged(person, alert, at=at)
        await self.sink.send(
            topics.ENCOMPASS,
            key=alert.police_reference.encode(),
            value=codec.encode(wire.ACKNOWLEDGED, record),
        )
        ident: uuid.UUID = record["event_id"]
        return ident

"""encompass_alerts: each recipient's Operation Encompass inbox, one row per notification.

Keyed by (police_reference, record_id). EncompassNotificationIssued writes the notification
(recipient, deadline, allow-listed content, revision); a lower revision never overwrites a
higher one (the table's update guard). EncompassDeadlineMissed, EncompassEscalated and
EncompassNotificationAcknowledged set only their own columns (a "merge" write: None leaves a
column as it is). Everything for one notification shares its police reference, the topic's
key, so it arrives in order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from projections.model import SourceRecord, decode_or_skip
from schemas.codec import to_json

ISSUED = "EncompassNotificationIssued"
DEADLINE_MISSED = "EncompassDeadlineMissed"
ESCALATED = "EncompassEscalated"
ACKNOWLEDGED = "EncompassNotificationAcknowledged"
REROUTED = "EncompassNotificationRerouted"

# Incoming rows with no revision (status changes) always apply; a revision applies if not older.
REVISION_GUARD = (
    "EXCLUDED.revision IS NULL OR stored.revision IS NULL OR EXCLUDED.revision >= stored.revision"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRow:
    """A row of encompass_alerts; None: this event does not say (the stored value stays)."""

    police_reference: str
    record_id: str
    child_id: str | None = None
    revision: int | None = None
    local_authority: str | None = None
    recipient_kind: str | None = None
    organisation_id: str | None = None
    organisation_name: str | None = None
    key_adult_name: str | None = None
    route_reason: str | None = None
    intended_urn: str | None = None
    copies: str | None = None  # JSON text (jsonb): the other recipients (health visitor, ...)
    deadline: datetime | None = None
    issued_at: datetime | None = None
    delivered_at: datetime | None = None
    content: str | None = None  # JSON text (jsonb): the allow-listed content, nothing else
    escalate_to: str | None = None  # organisation id of the coordinator or front door
    deadline_missed_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated_at: datetime | None = None
    escalation_reason: str | None = None
    recorded_at: datetime | None = None


def _recipient(r: dict[str, object]) -> dict[str, object]:
    return {k: r[k] for k in ("kind", "organisation_id", "organisation_name", "person_name")}


def rows(record: SourceRecord) -> Sequence[AlertRow]:
    """The inbox row change for one record of hub.log.encompass.v1."""
    decoded = decode_or_skip(record)
    e = decoded.record
    key = {"police_reference": e["police_reference"], "record_id": e["record_id"]}
    if decoded.event_type == ISSUED:
        primary, *others = e["recipients"]
        return (
            AlertRow(
                **key,
                child_id=e["child_id"],
                revision=e["revision"],
                local_authority=e["local_authority"],
                recipient_kind=primary["kind"],
                organisation_id=primary["organisation_id"],
                organisation_name=primary["organisation_name"],
                key_adult_name=primary["person_name"],
                route_reason=primary["reason"],
                intended_urn=primary["intended_urn"],
                copies=json.dumps([_recipient(r) for r in others]),
                deadline=e["deadline"],
                issued_at=e["issued_at"],
                delivered_at=e["delivered_at"],
                content=json.dumps(to_json(e["content"])),
                escalate_to=e["escalate_to"]["organisation_id"],
                recorded_at=e["recorded_at"],
            ),
        )
    if decoded.event_type == DEADLINE_MISSED:
        return (AlertRow(**key, deadline_missed_at=e["detected_at"]),)
    if decoded.event_type == ESCALATED:
        return (AlertRow(**key, escalated_at=e["escalated_at"], escalation_reason=e["reason"]),)
    if decoded.event_type == ACKNOWLEDGED:
        return (
            AlertRow(
                **key, acknowledged_at=e["acknowledged_at"], acknowledged_by=e["acknowledged_by"]
            ),
        )
    return ()  # a reroute is visible in the issued row (route_reason, intended_urn)

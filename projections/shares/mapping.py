"""shares: each partner's inbox of shared items, their revocations, and the audit of refusals.

- ``shares``: one row per (source event, child record, recipient) shared; first write wins, so
  a replayed Shared record never shares twice.
- ``share_revocations``: the same key, when consent-based visibility ended (VisibilityRevoked).
  A partner's view is ``shares`` without a matching revocation (a separate table, not an
  UPDATE, because projections only insert: a rebuild from the log gives the same rows).
- ``share_refusals``: ShareRefused and NonDisclosureRecorded, one row per (source event, child
  record, recipient), with the reason code and the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.model import SourceRecord, decode_or_skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareRow:
    """A row of shares: an item in a recipient's inbox."""

    source_event_id: uuid.UUID
    record_id: str
    recipient_id: str
    share_event_id: uuid.UUID
    event_type: str
    recipient_role: str
    relationship: str
    level: str
    basis: str
    consent_scope: str | None
    rule_number: int
    policy_version: str
    policy_content_hash: str
    content: str  # JSON text; the column is jsonb
    occurred_at: datetime
    shared_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RevocationRow:
    """A row of share_revocations: the share with this key left the recipient's view."""

    source_event_id: uuid.UUID
    record_id: str
    recipient_id: str
    revoked_at: datetime
    revoked_by_event_id: uuid.UUID
    consent_scope: str
    reason_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefusalRow:
    """A row of share_refusals: a candidate recipient got nothing, and why."""

    source_event_id: uuid.UUID
    record_id: str
    recipient_id: str
    outcome_event_id: uuid.UUID
    outcome: str  # ShareRefused or NonDisclosureRecorded
    event_type: str
    recipient_role: str
    relationship: str
    code: str
    reason: str
    policy_version: str
    decided_at: datetime


Row = ShareRow | RevocationRow | RefusalRow


def rows(record: SourceRecord) -> Sequence[Row]:
    """The rows for one record of hub.log.shares.v1 or hub.log.audit.v1 (others: none)."""
    decoded = decode_or_skip(record)
    e: dict[str, Any] = decoded.record
    key: dict[str, Any] = {
        "source_event_id": e.get("source_event_id"),
        "record_id": e.get("record_id"),
        "recipient_id": e.get("recipient_id"),
    }
    if decoded.event_type == "Shared":
        return (
            ShareRow(
                **key,
                share_event_id=e["event_id"],
                event_type=e["source_event_type"],
                recipient_role=e["recipient_role"],
                relationship=e["relationship"],
                level=e["level"],
                basis=e["basis"],
                consent_scope=e["consent_scope"],
                rule_number=e["rule_number"],
                policy_version=e["policy_version"],
                policy_content_hash=e["policy_content_hash"],
                content=e["content"],
                occurred_at=e["occurred_at"],
                shared_at=e["recorded_at"],
            ),
        )
    if decoded.event_type == "VisibilityRevoked":
        return (
            RevocationRow(
                **(key | {"source_event_id": e["shared_source_event_id"]}),
                revoked_at=e["recorded_at"],
                revoked_by_event_id=e["source_event_id"],
                consent_scope=e["consent_scope"],
                reason_code=e["reason_code"],
            ),
        )
    if decoded.event_type in ("ShareRefused", "NonDisclosureRecorded"):
        non_disclosure = decoded.event_type == "NonDisclosureRecorded"
        return (
            RefusalRow(
                **key,
                outcome_event_id=e["event_id"],
                outcome=decoded.event_type,
                event_type=e["source_event_type"],
                recipient_role=e["recipient_role"],
                relationship=e["relationship"],
                code="NON_DISCLOSURE" if non_disclosure else e["code"],
                reason=e["reason"],
                policy_version=e["policy_version"],
                decided_at=e["recorded_at"],
            ),
        )
    return ()  # other records on the audit log belong to other read models

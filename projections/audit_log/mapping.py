"""audit_log: one row per RecordViewed on hub.log.audit.v1 (other audit records: none).

The read API writes RecordViewed for every read of a child's record; this projection makes them
queryable by the DPO and by the child's responsible team. First write wins: a fact never changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from projections.model import SourceRecord, decode_or_skip

RECORD_VIEWED = "RecordViewed"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRow:
    """A row of audit_log."""

    event_id: uuid.UUID
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


def rows(record: SourceRecord) -> Sequence[AuditRow]:
    """The audit_log row for one record of hub.log.audit.v1, if it is a RecordViewed."""
    decoded = decode_or_skip(record)
    if decoded.event_type != RECORD_VIEWED:
        return ()  # shares' refusals and non-disclosures belong to the shares read model
    e = decoded.record
    return (
        AuditRow(
            event_id=e["event_id"],
            viewed_at=e["viewed_at"],
            viewer_id=e["viewer_id"],
            viewer_name=e["viewer_name"],
            viewer_role=e["viewer_role"],
            organisation_id=e["organisation_id"],
            child_id=e["child_id"],
            view=e["view"],
            endpoint=e["endpoint"],
            reason=e["reason"],
            include_retracted=e["include_retracted"],
            items_shown=e["items_shown"],
            child_status=e["child_status"],
            notify_team=e["notify_team"],
        ),
    )

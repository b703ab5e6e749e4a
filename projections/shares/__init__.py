"""The shares projection (see mapping.py)."""

from __future__ import annotations

from projections.model import Projection, Table
from projections.shares.mapping import RefusalRow, RevocationRow, ShareRow, rows
from schemas.topics import AUDIT, SHARES

_KEY = ("source_event_id", "record_id", "recipient_id")

PROJECTION = Projection(
    name="shares",
    topics=(SHARES, AUDIT),
    tables=(
        Table(
            name="shares",
            row_type=ShareRow,
            key=_KEY,
            on_conflict="nothing",
            recorded_at_column="shared_at",
        ),
        Table(name="share_revocations", row_type=RevocationRow, key=_KEY, on_conflict="nothing"),
        Table(name="share_refusals", row_type=RefusalRow, key=_KEY, on_conflict="nothing"),
    ),
    map=rows,
    doc="Partners' inboxes of shared items (less revocations) and the audit of refusals.",
)

__all__ = ["PROJECTION", "RefusalRow", "RevocationRow", "ShareRow", "rows"]

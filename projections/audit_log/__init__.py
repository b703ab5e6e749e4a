"""The audit_log projection (see mapping.py)."""

from __future__ import annotations

from projections.audit_log.mapping import AuditRow, rows
from projections.model import Projection, Table
from schemas.topics import AUDIT

PROJECTION = Projection(
    name="audit_log",
    topics=(AUDIT,),
    tables=(
        Table(
            name="audit_log",
            row_type=AuditRow,
            key=("event_id",),
            on_conflict="nothing",
            recorded_at_column="viewed_at",
        ),
    ),
    map=rows,
    doc="Every read of a child's record through the read API (RecordViewed): who, what, why.",
)

__all__ = ["PROJECTION", "AuditRow", "rows"]

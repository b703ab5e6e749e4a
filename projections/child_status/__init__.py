"""The child_status projection (see mapping.py)."""

from __future__ import annotations

from projections.child_status.mapping import (
    CP_PLAN,
    LOOKED_AFTER,
    STATUS_EVENTS,
    StatusEventRow,
    rows,
)
from projections.model import Projection, Table
from schemas.topics import ACCEPTED

PROJECTION = Projection(
    name="child_status",
    topics=(ACCEPTED,),
    tables=(
        Table(
            name="child_status_events",
            row_type=StatusEventRow,
            key=("event_id",),
            on_conflict="nothing",
            recorded_at_column="recorded_at",
        ),
    ),
    map=rows,
    doc="CP plan and looked-after starts and ends, with episode and responsible team (for CP-IS).",
)

__all__ = ["CP_PLAN", "LOOKED_AFTER", "PROJECTION", "STATUS_EVENTS", "StatusEventRow", "rows"]

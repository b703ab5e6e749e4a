"""The accepted_events projection (see mapping.py)."""

from __future__ import annotations

from projections.accepted_events.mapping import AcceptedEventRow, rows
from projections.model import Projection, Table
from schemas.topics import ACCEPTED

PROJECTION = Projection(
    name="accepted_events",
    topics=(ACCEPTED,),
    tables=(
        Table(
            name="accepted_events",
            row_type=AcceptedEventRow,
            key=("event_id",),
            on_conflict="nothing",
            recorded_at_column="recorded_at",
            occurred_at_column="occurred_at",
        ),
    ),
    map=rows,
    doc="Every accepted event: type, agency, times and log position; no personal content.",
)

__all__ = ["PROJECTION", "AcceptedEventRow", "rows"]

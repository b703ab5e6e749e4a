"""The reporting projection: facts for the partnership's indicators (see mapping.py)."""

from __future__ import annotations

from projections.model import Projection, Table
from projections.reporting.mapping import FactRow, NotificationRow, SubjectRow, rows
from schemas.topics import ACCEPTED, ENCOMPASS, IDENTITY

PROJECTION = Projection(
    name="reporting",
    topics=(ACCEPTED, IDENTITY, ENCOMPASS),
    tables=(
        Table(name="report_facts", row_type=FactRow, key=("event_id",)),
        Table(name="report_subjects", row_type=SubjectRow, key=("event_id", "subject_index")),
        Table(
            name="report_encompass",
            row_type=NotificationRow,
            key=("police_reference", "record_id"),
            on_conflict="merge",
        ),
    ),
    map=rows,
    doc="Counts-only facts for the partnership's indicators (hub report).",
)

__all__ = ["PROJECTION", "FactRow", "NotificationRow", "SubjectRow", "rows"]

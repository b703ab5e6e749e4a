"""The erasure projection: which keys and records each event's subjects are under, and which
children were erased (see mapping.py; the design: docs/ERASURE.md)."""

from __future__ import annotations

from projections.erasure.mapping import ErasedChildRow, ResolutionRow, SubjectRow, rows
from projections.model import Projection, Table
from schemas.topics import ACCEPTED, ERASURE, IDENTITY

PROJECTION = Projection(
    name="erasure",
    topics=(ACCEPTED, IDENTITY, ERASURE),
    tables=(
        Table(
            name="erasure_subjects",
            row_type=SubjectRow,
            key=("event_id", "subject_index"),
            recorded_at_column="recorded_at",
        ),
        Table(
            name="erasure_resolutions",
            row_type=ResolutionRow,
            key=("event_id", "subject_index"),
        ),
        Table(
            name="erased_children",
            row_type=ErasedChildRow,
            key=("erasure_event_id",),
            recorded_at_column="erased_at",
        ),
    ),
    map=rows,
    doc="Key ids and records per event subject (for `hub erase`), and SubjectErased facts.",
)

__all__ = ["PROJECTION"]

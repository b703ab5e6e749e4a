"""The chronology read model: chronology_entries (with chronology_events) and child_records.

Two projections: ``chronology_entries`` reads hub.log.chronology.v1, ``child_records`` reads
hub.log.identity.v1. ``queries.chronology_for`` reads a child's chronology from both.
"""

from __future__ import annotations

from projections.chronology.mapping import (
    ChildRecordRow,
    ChronologyEntryRow,
    ChronologyEventRow,
    child_record_rows,
    chronology_rows,
)
from projections.model import Projection, Table
from schemas.topics import CHRONOLOGY, IDENTITY

ENTRIES = Projection(
    name="chronology_entries",
    topics=(CHRONOLOGY,),
    tables=(
        Table(
            name="chronology_events",
            row_type=ChronologyEventRow,
            key=("record_id", "event_id"),
            on_conflict="nothing",  # what the source said never changes
            recorded_at_column="recorded_at",
        ),
        Table(
            name="chronology_entries",
            row_type=ChronologyEntryRow,
            key=("record_id", "source_event_id"),
            on_conflict="update",  # the latest structure of the entry wins
        ),
    ),
    map=chronology_rows,
    doc="Each child record's chronology: events as published and every entry version's marks.",
)

CHILD_RECORDS = Projection(
    name="child_records",
    topics=(IDENTITY,),
    tables=(
        Table(
            name="child_records",
            row_type=ChildRecordRow,
            key=("record_id", "fact_event_id"),
            on_conflict="nothing",
        ),
    ),
    map=child_record_rows,
    doc="Which child each record belongs to: first sighting and every rekeying (latest wins).",
)

__all__ = [
    "CHILD_RECORDS",
    "ENTRIES",
    "ChildRecordRow",
    "ChronologyEntryRow",
    "ChronologyEventRow",
    "child_record_rows",
    "chronology_rows",
]

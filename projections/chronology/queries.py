"""Reading a child's chronology from the projection.

A child's chronology is every event placed in the records that belong to it now (child_records:
each record's latest fact), folded by the pure ``streams.chronology.build``: the same rules as
the agent's structure, applied to the union of the child's records, so linked records merge (an
event about two records of one child is one entry) and unlinked ones part, with no re-projection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from streams.chronology import (
    ChronologyEntry,
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    SignificantEventRecorded,
    Source,
    build,
    visible_entries,
)

# The records whose latest fact names the child (facts once naming it are the candidates).
CURRENT_RECORDS: Final = """
SELECT candidate.record_id
FROM (SELECT DISTINCT record_id FROM {child_records} WHERE child_id = %(child)s) AS candidate
WHERE (
    SELECT latest.child_id FROM {child_records} AS latest
    WHERE latest.record_id = candidate.record_id
    ORDER BY latest.logged_at DESC, latest.fact_rank DESC, latest.fact_event_id DESC
    LIMIT 1
) = %(child)s
ORDER BY candidate.record_id
"""
# The columns ``to_event`` reads, no more: a long chronology is read on every view of it.
EVENTS: Final = """
SELECT record_id, event_id, kind, target_event_id, occurred_at, recorded_at, agency_id,
    agency_kind, practitioner_role, amended_by, category, summary, impact_on_child, action_taken,
    lawful_basis, police_reference, reason, included
FROM {chronology_events} WHERE record_id = ANY(%(records)s)
"""


def to_event(row: Mapping[str, Any]) -> ChronologyEvent:
    """A chronology_events row as the domain event it was made from."""
    event_id = str(row["event_id"])
    records = frozenset({str(row["record_id"])})
    source = Source(
        agency_id=row["agency_id"],
        agency_kind=row["agency_kind"],
        practitioner_role=row["practitioner_role"],
        practitioner_id=row["amended_by"],
    )
    if row["kind"] == "correction":
        return EntryCorrected(
            event_id=event_id,
            record_ids=records,
            entry_id=str(row["target_event_id"]),
            recorded_at=row["recorded_at"],
            corrected_by=source,
            reason=row["reason"] or "",
            summary=row["summary"],
        )
    if row["kind"] == "curation":
        return EntryCurated(
            event_id=event_id,
            record_ids=records,
            entry_id=str(row["target_event_id"]),
            include=bool(row["included"]),
            recorded_at=row["recorded_at"],
            curated_by=source,
        )
    if row["kind"] == "retraction":
        return EntryRetracted(
            event_id=event_id,
            record_ids=records,
            entry_id=str(row["target_event_id"]),
            recorded_at=row["recorded_at"],
            retracted_by=source,
            reason=row["reason"] or "",
        )
    return SignificantEventRecorded(
        event_id=event_id,
        record_ids=records,
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        source=source,
        category=row["category"] or "",
        summary=row["summary"] or "",
        impact_on_child=row["impact_on_child"] or "",
        action_taken=row["action_taken"] or "",
        lawful_basis=row["lawful_basis"] or "",
        police_reference=row["police_reference"],
    )


def _on(template: str, suffix: str) -> sql.Composed:
    """The query on the tables, or on a side-by-side instance's (``<table><suffix>``)."""
    return sql.SQL(template).format(
        child_records=sql.Identifier(f"child_records{suffix}"),
        chronology_events=sql.Identifier(f"chronology_events{suffix}"),
    )


def current_records(conn: psycopg.Connection[Any], child_id: str, *, suffix: str = "") -> list[str]:
    """The record ids that belong to `child_id` now."""
    with conn.cursor() as cur:
        cur.execute(_on(CURRENT_RECORDS, suffix), {"child": child_id})
        return [record_id for (record_id,) in cur.fetchall()]


def chronology_for(
    conn: psycopg.Connection[Any],
    child_id: str,
    *,
    include_retracted: bool,
    printed: bool,
    suffix: str = "",
) -> Sequence[ChronologyEntry]:
    """A child's chronology in order (occurred_at, recorded_at, entry_id, version).

    include_retracted=True is the auditor's view (superseded and struck versions too, with who,
    when and why); False is the practitioner's (current versions); printed=True leaves out what
    a lead practitioner excluded and every struck row (see ``visible_entries``). ``suffix``
    reads a side-by-side instance's tables (tests, trials).
    """
    records = current_records(conn, child_id, suffix=suffix)
    if not records:
        return ()
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_on(EVENTS, suffix), {"records": records})
        events = [to_event(row) for row in cur.fetchall()]
    chronology = build(child_id, events)
    return visible_entries(chronology, include_retracted=include_retracted, printed=printed)

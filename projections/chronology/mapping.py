"""chronology_entries and child_records: pure mappings from the chronology and identity logs.

A ChronologyUpdated gives one chronology_events row (its source event's content, first write
wins: it never changes) and one chronology_entries row per version of the entry it touched (last
write wins: a later record carries newer structure). The identity log gives child_records facts:
a record's first sighting and each rekeying.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from projections.model import SkipRecord, SourceRecord, decode_or_skip
from schemas import codec

KINDS: Final = {
    "EntryCorrected": "correction",
    "EntryRetracted": "retraction",
    "EntryCurated": "curation",
}
RESOLVED_RANK: Final = 0
REKEYED_RANK: Final = 1  # wins a tie with a resolution logged in the same millisecond


@dataclass(frozen=True, slots=True, kw_only=True)
class ChronologyEventRow:
    """A row of chronology_events (restricted_categories: symbols of hub.common's enum)."""

    record_id: str
    event_id: uuid.UUID
    event_type: str
    kind: str
    target_event_id: uuid.UUID | None
    occurred_at: datetime
    recorded_at: datetime
    agency_id: str
    agency_kind: str
    practitioner_role: str | None
    category: str | None
    summary: str | None
    impact_on_child: str | None
    action_taken: str | None
    lawful_basis: str | None
    police_reference: str | None
    amended_by: str | None
    reason: str | None
    restricted_categories: list[str]
    included: bool | None  # curations only: the decision


@dataclass(frozen=True, slots=True, kw_only=True)
class ChronologyEntryRow:
    """A row of chronology_entries: one version of one entry of one record, structure only."""

    record_id: str
    source_event_id: uuid.UUID
    entry_id: uuid.UUID
    version: int
    superseded_by_event_id: uuid.UUID | None
    retracted_by_event_id: uuid.UUID | None
    included: bool  # printed: the entry's latest curation decides


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildRecordRow:
    """A row of child_records: from this fact on, the record belongs to child_id."""

    record_id: str
    fact_event_id: uuid.UUID
    child_id: str
    logged_at: datetime
    fact_rank: int


def _decode(record: SourceRecord) -> codec.Decoded:
    return decode_or_skip(record)


def chronology_rows(record: SourceRecord) -> Sequence[ChronologyEventRow | ChronologyEntryRow]:
    """The rows one ChronologyUpdated makes."""
    decoded = _decode(record)
    if decoded.event_type != "ChronologyUpdated":
        raise SkipRecord("not_chronology_updated")
    e: dict[str, Any] = decoded.record
    publisher = e["publisher"]
    rows: list[ChronologyEventRow | ChronologyEntryRow] = [
        ChronologyEventRow(
            record_id=e["record_id"],
            event_id=e["source_event_id"],
            event_type=e["source_event_type"],
            kind=KINDS.get(e["source_event_type"], "entry"),
            target_event_id=e["target_event_id"],
            occurred_at=e["occurred_at"],
            recorded_at=e["recorded_at"],
            agency_id=publisher["agency_id"],
            agency_kind=publisher["agency_kind"],
            practitioner_role=publisher["practitioner_role"],
            category=e["category"],
            summary=e["summary"],
            impact_on_child=e["impact_on_child"],
            action_taken=e["action_taken"],
            lawful_basis=e["lawful_basis"],
            police_reference=e["police_reference"],
            amended_by=e["amended_by"],
            reason=e["reason"],
            restricted_categories=list(e["restricted_categories"]),
            included=e["included"],
        )
    ]
    if e["entry_id"] is not None:
        rows += [
            ChronologyEntryRow(
                record_id=e["record_id"],
                source_event_id=v["source_event_id"],
                entry_id=e["entry_id"],
                version=v["version"],
                superseded_by_event_id=v["superseded_by_event_id"],
                retracted_by_event_id=v["retracted_by_event_id"],
                included=v["included"],
            )
            for v in e["versions"]
        ]
    return rows


def child_record_rows(record: SourceRecord) -> Sequence[ChildRecordRow]:
    """child_records facts from one identity-log record (other identity events: none)."""
    decoded = _decode(record)
    e: dict[str, Any] = decoded.record
    logged_at = datetime.fromtimestamp(record.timestamp_ms / 1000, tz=UTC)
    if decoded.event_type == "SubjectsResolved":
        return [
            ChildRecordRow(
                record_id=r["record_id"],
                fact_event_id=e["event_id"],
                child_id=r["child_id"],
                logged_at=logged_at,
                fact_rank=RESOLVED_RANK,
            )
            for r in e["resolutions"]
            if r["minted"]  # later sightings repeat what the mint and rekeyings already say
        ]
    if decoded.event_type == "RecordsRekeyed":
        return [
            ChildRecordRow(
                record_id=r["record_id"],
                fact_event_id=e["event_id"],
                child_id=r["to_child_id"],
                logged_at=logged_at,
                fact_rank=REKEYED_RANK,
            )
            for r in e["rekeyed"]
        ]
    return []

"""The erasure projection's mapping: ids, kinds and dates only, never content.

- accepted log: one ``erasure_subjects`` row per subject of each event: the key id its sealed
  identifiers name (``streams.erasure.fields.subject_key_ids``), its role, the publishing agency
  kind, when recorded, and a date of birth where the event gives one for that subject;
- identity log: SubjectsResolved -> one ``erasure_resolutions`` row per resolved subject;
- erasure log: SubjectErased -> one ``erased_children`` row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from projections.model import SourceRecord, decode_or_skip
from schemas import codec
from schemas.topics import ACCEPTED, ERASURE, IDENTITY
from streams.erasure.fields import CHILD_ROLES, subject_key_ids


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectRow:
    event_id: uuid.UUID
    subject_index: int
    key_id: str
    role: str
    agency_kind: str
    recorded_at: datetime
    date_of_birth: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolutionRow:
    event_id: uuid.UUID
    subject_index: int
    record_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasedChildRow:
    erasure_event_id: uuid.UUID
    child_id: str
    record_ids: list[str]
    key_ids: list[str]
    trigger: str
    reason: str
    erased_at: datetime


def dates_of_birth(record: Mapping[str, Any]) -> dict[int, date]:
    """The date of birth an event gives for each subject index (where it gives one)."""
    found: dict[int, date] = {}
    subjects = record.get("subjects") or []
    if record.get("date_of_birth") is not None:  # PersonRegistered: its first child subject
        first = next((i for i, s in enumerate(subjects) if s.get("role") in CHILD_ROLES), 0)
        found[first] = record["date_of_birth"]
    if record.get("child_date_of_birth") is not None:  # an Encompass request's one child
        first = next((i for i, s in enumerate(subjects) if s.get("role") in CHILD_ROLES), 0)
        found[first] = record["child_date_of_birth"]
    for linked in record.get("children") or []:
        if isinstance(linked, Mapping) and linked.get("date_of_birth") is not None:
            found[int(linked["subject_index"])] = linked["date_of_birth"]
    return found


# What a subject row takes from an accepted event: most event types end the read at subjects.
SUBJECT_FIELDS = codec.ENVELOPE_FIELDS | {
    "subjects",
    "date_of_birth",
    "child_date_of_birth",
    "children",
}


def _decode(record: SourceRecord) -> codec.Decoded:
    return decode_or_skip(record, SUBJECT_FIELDS if record.topic == ACCEPTED else None)


def rows(record: SourceRecord) -> Sequence[Any]:
    """The rows for one record of the accepted, identity or erasure log."""
    decoded = _decode(record)
    event = decoded.record
    if record.topic == ERASURE or decoded.event_type == "SubjectErased":
        return (
            ErasedChildRow(
                erasure_event_id=event["event_id"],
                child_id=event["child_id"],
                record_ids=list(event["record_ids"]),
                key_ids=list(event["key_ids"]),
                trigger=event["trigger"],
                reason=event["reason"],
                erased_at=event["recorded_at"],
            ),
        )
    if record.topic == IDENTITY:
        if decoded.event_type != "SubjectsResolved":
            return ()
        return tuple(
            ResolutionRow(
                event_id=event["source_event_id"],
                subject_index=r["subject_index"],
                record_id=r["record_id"],
            )
            for r in event["resolutions"]
        )
    if record.topic != ACCEPTED:
        return ()
    keys = subject_key_ids(event)
    born = dates_of_birth(event)
    return tuple(
        SubjectRow(
            event_id=event["event_id"],
            subject_index=i,
            key_id=keys[i],
            role=str(subject["role"]),
            agency_kind=str(event["source"]["agency_kind"]),
            recorded_at=event["recorded_at"],
            date_of_birth=born.get(i),
        )
        for i, subject in enumerate(event.get("subjects") or [])
        if i in keys
    )

"""The ChronologyUpdated record (schemas/avro/chronology/) for one event placed in one record.

Envelope: the hub is the publisher (agency_id ``hub``, as the identity stage's derived events);
times and the claimed lawful basis are the source event's; subjects are empty (ids only, the
source event holds the people); ``event_id`` is a uuid5 of (source event id, record id), so a
redelivery or a replay derives the same id. The source agency is in ``publisher``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from streams.chronology.from_records import content_of
from streams.chronology.placement import Placement

EVENT_TYPE: Final = "ChronologyUpdated"
HUB_SOURCE: Final[Mapping[str, Any]] = {
    "agency_id": "hub",
    "agency_kind": "LOCAL_AUTHORITY",
    "system": "hub",
    "practitioner_role": None,
}
NAMESPACE: Final = uuid.UUID("6f1d2c9e-4b7a-5d38-9e21-3c8b7a6f5e04")


def updated_event_id(source_event_id: str, record_id: str) -> uuid.UUID:
    """The derived event's id: the same for every placement of this event in this record."""
    return uuid.uuid5(NAMESPACE, f"chronology/{source_event_id}/{record_id}")


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def chronology_updated(
    event_type: str,
    record: Mapping[str, Any],
    *,
    record_id: str,
    child_id: str,
    subject_index: int,
    placement: Placement,
) -> dict[str, Any]:
    """The log record for `record` (an accepted event, decoded) placed in `record_id`."""
    source_event_id = str(record["event_id"])
    fields: dict[str, Any] = {
        "category": None,
        "summary": None,
        "impact_on_child": None,
        "action_taken": None,
        "police_reference": None,
        "amended_by": None,
        "reason": None,
        "target_event_id": None,
        "included": None,
    }
    if event_type == "EntryCorrected":
        fields |= {
            "summary": record["correction_summary"],
            "amended_by": record["corrected_by"],
            "reason": record["reason"],
            "target_event_id": record["corrects_event_id"],
        }
    elif event_type == "EntryRetracted":
        fields |= {
            "amended_by": record["retracted_by"],
            "reason": record["reason"],
            "target_event_id": record["retracts_event_id"],
        }
    elif event_type == "EntryCurated":
        fields |= {
            "amended_by": record["curated_by_role"],
            "reason": record["reason"],
            "target_event_id": record["curates_event_id"],
            "included": bool(record["included"]),
        }
    else:
        content = content_of(event_type, record, subject_index)
        if content is None:
            raise ValueError(f"{event_type} is not a chronology entry")
        fields |= {
            "category": content.category,
            "summary": content.summary,
            "impact_on_child": content.impact_on_child or None,
            "action_taken": content.action_taken or None,
            "police_reference": content.police_reference,
        }
    return {
        "event_id": updated_event_id(source_event_id, record_id),
        "event_type": EVENT_TYPE,
        "occurred_at": record["occurred_at"],
        "recorded_at": record["recorded_at"],
        "source": dict(HUB_SOURCE),
        "subjects": [],
        "lawful_basis": record.get("lawful_basis"),
        "record_id": record_id,
        "child_id": child_id,
        "source_event_id": uuid.UUID(source_event_id),
        "source_event_type": event_type,
        "change": placement.change,
        "publisher": dict(record["source"]),
        "entry_id": _uuid(placement.entry_id),
        "restricted_categories": list(record.get("restricted_categories") or []),
        "versions": [
            {
                "source_event_id": uuid.UUID(v.source_event_id),
                "version": v.version,
                "superseded_by_event_id": _uuid(v.superseded_by),
                "retracted_by_event_id": _uuid(v.retracted_by),
                "included": v.included,
            }
            for v in placement.versions
        ],
        **fields,
    }

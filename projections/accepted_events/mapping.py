"""accepted_events: an index of every accepted event, without its personal content.

One row per event_id: what kind of event, from which agency, when it happened and was
recorded, and where it sits in the log (so a reader can fetch the full record from Kafka).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from projections.model import SourceRecord, decode_or_skip
from schemas import codec


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedEventRow:
    """A row of accepted_events (projected_at is filled by the database)."""

    event_id: uuid.UUID
    event_type: str
    agency_kind: str
    agency_id: str
    occurred_at: datetime
    recorded_at: datetime
    topic: str
    partition: int
    offset: int


def rows(record: SourceRecord) -> Sequence[AcceptedEventRow]:
    """The index row for one record of the accepted log."""
    decoded = decode_or_skip(record, codec.ENVELOPE_FIELDS)
    event = decoded.record
    source = event["source"]
    return (
        AcceptedEventRow(
            event_id=event["event_id"],
            event_type=decoded.event_type,
            agency_kind=source["agency_kind"],
            agency_id=source["agency_id"],
            occurred_at=event["occurred_at"],
            recorded_at=event["recorded_at"],
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        ),
    )

"""The reporting projection's mapping: coded early help needs and Encompass notifications by
the month their incident happened in (no broker, no database)."""

from __future__ import annotations

import io
import json
import struct
from datetime import timedelta
from typing import Any

from fastavro import parse_schema, schemaless_writer

from projections.model import SourceRecord
from projections.reporting import FactRow, NotificationRow, rows
from schemas import codec
from schemas.catalogue import HISTORY_DIR
from schemas.topics import ACCEPTED, ENCOMPASS
from streams.encompass import wire
from streams.encompass.notifications import EncompassDeadlineMissed
from tests.unit.event_samples import sample_event
from tests.unit.test_encompass_alerts_projection import _issued


def _first_issue() -> dict[str, Any]:
    """Revision 1 of a notification, as the Encompass stage publishes it."""
    return dict(next(r for t, r in _issued() if t == "EncompassNotificationIssued"))


def _source(value: bytes, topic: str = ACCEPTED) -> SourceRecord:
    return SourceRecord(topic=topic, partition=0, offset=0, key=b"k", value=value)


def _v1_bytes(record: dict[str, object]) -> bytes:
    """EarlyHelpAssessmentStarted as a v1 publisher writes it (Confluent id 12, no need)."""
    schema = json.loads((HISTORY_DIR / "EarlyHelpAssessmentStarted" / "v1.avsc").read_text())
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(schema), record)
    return b"\x00" + struct.pack(">I", 12) + body.getvalue()


def test_an_assessment_is_counted_by_its_coded_primary_need_never_its_free_text() -> None:
    event = sample_event("EarlyHelpAssessmentStarted")
    (fact,) = rows(_source(codec.encode("EarlyHelpAssessmentStarted", event)))
    assert isinstance(fact, FactRow)
    assert fact.dimension == "EDUCATION"
    assert fact.agency_id == event["source"]["agency_id"]
    assert fact.reference == event["assessment_id"]
    assert event["reason"] not in repr(fact)


def test_an_assessment_published_before_the_coded_need_has_none() -> None:
    event = sample_event("EarlyHelpAssessmentStarted")
    del event["primary_need"]
    (fact,) = rows(_source(_v1_bytes(event)))
    assert isinstance(fact, FactRow)
    assert fact.dimension is None  # the indicators show it as NOT_RECORDED


def test_a_notification_belongs_to_the_month_its_incident_happened_in() -> None:
    issued = _first_issue()
    (row,) = rows(_source(codec.encode("EncompassNotificationIssued", issued), ENCOMPASS))
    assert isinstance(row, NotificationRow)
    incident = sample_event("IncidentRecorded")
    assert row.incident_occurred_at == incident["occurred_at"]
    assert row.issued_at == issued["issued_at"]
    assert row.deadline == issued["deadline"]
    assert row.organisation_id == issued["recipients"][0]["organisation_id"]
    assert row.deadline_missed_at is None


def test_a_missed_deadline_sets_only_its_own_column() -> None:
    issued = _first_issue()
    at = issued["deadline"] + timedelta(minutes=1)
    event_type, missed = wire.timer_record(
        EncompassDeadlineMissed(
            police_reference=issued["police_reference"],
            child_key=issued["record_id"],
            organisation_id=issued["recipients"][0]["organisation_id"],
            deadline=issued["deadline"],
            detected_at=at,
        )
    )
    (row,) = rows(_source(codec.encode(event_type, missed), ENCOMPASS))
    assert isinstance(row, NotificationRow)
    assert row.deadline_missed_at == missed["detected_at"]
    assert row.organisation_id is None
    assert row.incident_occurred_at is None


def test_a_revision_moves_only_the_deadline() -> None:
    issued = _first_issue()
    earlier = issued["deadline"] - timedelta(days=1)
    revised = dict(issued, revision=2, deadline=earlier, issued_at=issued["issued_at"])
    (row,) = rows(_source(codec.encode("EncompassNotificationIssued", revised), ENCOMPASS))
    assert row == NotificationRow(
        police_reference=issued["police_reference"],
        record_id=issued["record_id"],
        deadline=earlier,
    )

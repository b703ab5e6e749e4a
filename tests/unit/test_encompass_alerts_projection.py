"""The encompass_alerts projection: mapping, and the revision-aware "merge" write it uses."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from projections import store
from projections.encompass_alerts import PROJECTION, AlertRow, rows
from projections.model import SourceRecord, row_values
from schemas import codec
from schemas.topics import ENCOMPASS
from streams.encompass import inputs, wire
from streams.encompass.area import EXAMPLE_AREA, load_area
from streams.encompass.calendar import deadline_for
from streams.encompass.content import ALLOWED_FIELDS
from streams.encompass.routing import (
    EnrolmentHistory,
    PupilEnrolled,
    apply_enrolment,
    enrolment_status,
    route,
)
from streams.encompass.state import decide_issue, timers_due
from tests.unit.event_samples import sample_event

AREA = load_area(EXAMPLE_AREA)
TABLE = PROJECTION.tables[0]


def _record(event_type: str, record: dict[str, object], offset: int = 0) -> SourceRecord:
    return SourceRecord(
        topic=ENCOMPASS,
        partition=0,
        offset=offset,
        key=b"k",
        value=codec.encode(event_type, record),
    )


def _issued() -> list[tuple[str, dict[str, object]]]:
    incident_record = sample_event("IncidentRecorded")
    found = inputs.incident_facts(
        incident_record, subject_index=0, record_id="R1", local_authority="999"
    )
    assert found is not None
    incident, child = found
    history = apply_enrolment(
        EnrolmentHistory(child_key="R1"),
        PupilEnrolled(child_key="R1", urn="999002", enrolled_on=incident.recorded_at.date()),
    )
    recipients = route(
        child, enrolment_status(history, incident.recorded_at.date()), AREA.config, incident
    )
    issue = decide_issue(
        None,
        incident=incident,
        child=child,
        recipients=recipients,
        config=AREA.config,
        deadline_of=lambda first, _r: deadline_for(first, AREA.calendar_for("999002")),
        source_event_id="e1",
        now=incident.recorded_at,
    )
    assert issue is not None
    out = wire.issue_records(
        issue, incident=incident, child_id="C1", source_event_id=str(uuid.uuid4())
    )
    out += [
        wire.timer_record(t)
        for t in timers_due([issue.state], issue.state.deadline + timedelta(hours=2), AREA.config)
    ]
    return out


def test_an_issued_notification_is_one_inbox_row_with_allow_listed_content() -> None:
    event_type, record = _issued()[0]
    (row,) = rows(_record(event_type, record))
    assert (row.police_reference, row.record_id, row.revision) == ("CLE-20261120-0042", "R1", 1)
    assert (row.organisation_id, row.key_adult_name, row.recipient_kind) == (
        "999002",
        "Mr U Example",
        "KEY_ADULT",
    )
    assert row.content is not None
    assert set(json.loads(row.content)) <= ALLOWED_FIELDS


def test_status_events_set_only_their_own_columns() -> None:
    mapped = [row for t, r in _issued() for row in rows(_record(t, r))]
    assert len(mapped) == 2  # issued, then escalated two hours after the deadline
    escalated = mapped[-1]
    assert escalated.escalated_at is not None
    assert escalated.escalation_reason == "NOT_ACKNOWLEDGED"
    assert escalated.revision is None
    assert escalated.content is None
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    ack = {
        "event_id": uuid.uuid4(),
        "event_type": wire.ACKNOWLEDGED,
        "occurred_at": at,
        "recorded_at": at,
        "source": dict(wire.HUB_SOURCE),
        "subjects": [],
        "lawful_basis": None,
        "police_reference": "CLE-20261120-0042",
        "record_id": "R1",
        "organisation_id": "999002",
        "acknowledged_by": "Mr U Example",
        "acknowledged_at": at,
    }
    (row,) = rows(_record(wire.ACKNOWLEDGED, ack))
    assert (row.acknowledged_at, row.acknowledged_by, row.organisation_id) == (
        at,
        "Mr U Example",
        None,
    )


def test_a_merge_keeps_what_a_later_row_does_not_say_and_guards_the_revision() -> None:
    first = AlertRow(police_reference="P", record_id="R", revision=2, organisation_id="A")
    status = AlertRow(
        police_reference="P", record_id="R", escalated_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    (merged,) = store.merged_per_key(TABLE, [row_values(first), row_values(status)])
    columns = TABLE.columns
    assert merged[columns.index("revision")] == 2
    assert merged[columns.index("organisation_id")] == "A"
    assert merged[columns.index("escalated_at")] == datetime(2026, 1, 1, tzinfo=UTC)
    text = store._insert_sql(TABLE).as_string(None)
    assert '"content" = COALESCE(EXCLUDED."content", stored."content")' in text
    assert "WHERE EXCLUDED.revision IS NULL OR stored.revision IS NULL" in text
    assert 'INSERT INTO "encompass_alerts" AS stored' in text

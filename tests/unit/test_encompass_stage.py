"""The Encompass stage's pure core: inputs, issue decisions, folds, timers and wire records."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import codec
from streams.encompass import inputs, wire
from streams.encompass.area import EXAMPLE_AREA, Area, load_area
from streams.encompass.calendar import deadline_for
from streams.encompass.content import ALLOWED_FIELDS
from streams.encompass.model import IncidentFacts, LinkedChild
from streams.encompass.routing import (
    EnrolmentHistory,
    PupilEnrolled,
    PupilLeft,
    Recipient,
    RecipientKind,
    apply_enrolment,
    enrolment_status,
    fold_enrolments,
    route,
    validate_request,
)
from streams.encompass.state import (
    Issue,
    NotificationState,
    acknowledge,
    decide_issue,
    mark_timer,
    timers_due,
)
from streams.simulation import generate
from tests.unit.event_samples import sample_event

AREA: Area = load_area(EXAMPLE_AREA)
NOW = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)


def _deadline(first: datetime, primary: Recipient) -> datetime:
    urn = primary.organisation_id if primary.kind is RecipientKind.KEY_ADULT else None
    return deadline_for(first, AREA.calendar_for(urn))


def _facts(record: dict[str, Any], index: int = 0) -> tuple[IncidentFacts, LinkedChild]:
    found = inputs.incident_facts(
        record, subject_index=index, record_id="R1", local_authority="999"
    )
    assert found is not None
    return found


def _enrolled(urn: str) -> EnrolmentHistory:
    return apply_enrolment(
        EnrolmentHistory(child_key="R1"),
        PupilEnrolled(child_key="R1", urn=urn, enrolled_on=date(2025, 9, 3)),
    )


def _issue(
    state: NotificationState | None,
    record: dict[str, Any],
    urn: str | None = "999002",
    source: str = "e1",
    now: datetime = NOW,
    index: int = 0,
) -> Issue | None:
    incident, child = _facts(record, index)
    history = _enrolled(urn) if urn else EnrolmentHistory(child_key="R1")
    status = enrolment_status(history, incident.recorded_at.date())
    recipients = route(child, status, AREA.config, incident)
    return decide_issue(
        state,
        incident=incident,
        child=child,
        recipients=recipients,
        config=AREA.config,
        deadline_of=_deadline,
        source_event_id=source,
        now=now,
    )


def test_a_linked_child_of_a_domestic_abuse_incident_becomes_facts_and_others_do_not() -> None:
    record = sample_event("IncidentRecorded")
    incident, child = _facts(record)
    assert (child.child_key, child.name, incident.police_reference) == (
        "R1",
        "Ava Testington",
        "CLE-20261120-0042",
    )
    assert (
        inputs.incident_facts(record, subject_index=2, record_id="A", local_authority="9") is None
    )
    record["domestic_abuse"] = False
    assert (
        inputs.incident_facts(record, subject_index=0, record_id="R1", local_authority="9") is None
    )


def test_enrolment_history_round_trips_through_the_table_value() -> None:
    enrolled = sample_event("PupilEnrolled")
    left = sample_event("PupilLeft")
    history = EnrolmentHistory(child_key="R1")
    for event_type, record in (("PupilEnrolled", enrolled), ("PupilLeft", left)):
        history = apply_enrolment(history, inputs.enrolment_event(event_type, record, "R1"))
    text = inputs.history_to_json(history)
    assert inputs.history_from_json("R1", text) == history
    assert "Testington" not in text  # ids, URNs and dates only


def test_first_issue_goes_to_the_key_adult_with_the_schools_deadline() -> None:
    issue = _issue(None, sample_event("IncidentRecorded"))
    assert issue is not None
    assert not issue.unchanged
    state = issue.state
    assert (state.revision, state.primary_org, state.primary_kind) == (
        1,
        "999002",
        RecipientKind.KEY_ADULT,
    )
    assert issue.recipients[0].person_name == "Mr U Example"
    # recorded Friday 20 November 2026 22:05 UTC -> Monday 08:30 London (GMT)
    assert state.deadline == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert issue.escalation is None
    assert NotificationState.from_json(state.to_json()) == state


def test_a_redelivery_changes_nothing_and_an_identical_renotification_publishes_nothing() -> None:
    first = _issue(None, sample_event("IncidentRecorded"))
    assert first is not None
    assert _issue(first.state, sample_event("IncidentRecorded")) is None
    again = _issue(first.state, sample_event("IncidentRecorded"), source="e2")
    assert again is not None
    assert again.unchanged
    assert again.state.revision == 1


def test_a_renotification_updates_the_same_notification_and_buys_no_time() -> None:
    first = _issue(None, sample_event("IncidentRecorded"))
    assert first is not None
    update = sample_event("IncidentRecorded")
    update["circumstances"] += " Update: statements taken."
    update["recorded_at"] += timedelta(days=3)
    second = _issue(first.state, update, source="e2")
    assert second is not None
    assert not second.unchanged
    assert second.state.revision == 2
    assert second.state.deadline == first.state.deadline
    # the original arriving after the update moves nothing it already had
    assert _issue(second.state, sample_event("IncidentRecorded"), source="e1") is None


def test_a_renotification_after_a_change_of_school_goes_to_the_new_school() -> None:
    # On roll at Brook (999002) until Friday 20 November, at Ashby (999001, sessions from
    # 08:45) from Monday 23rd. The original is recorded on the Friday night, its update on the
    # Monday: each is routed on the day it is recorded, and the deadline still runs from the
    # first recording, now on the new school's calendar.
    history = fold_enrolments(
        "R1",
        (
            PupilEnrolled(child_key="R1", urn="999002", enrolled_on=date(2025, 9, 3)),
            PupilLeft(child_key="R1", urn="999002", left_on=date(2026, 11, 20)),
            PupilEnrolled(child_key="R1", urn="999001", enrolled_on=date(2026, 11, 23)),
        ),
    )
    update = sample_event("IncidentRecorded")
    update["circumstances"] += " Update: statements taken."
    update["recorded_at"] += timedelta(days=3)
    state = None
    issues = []
    for record, source in ((sample_event("IncidentRecorded"), "e1"), (update, "e2")):
        incident, child = _facts(record)
        status = enrolment_status(history, incident.recorded_at.date())
        issue = decide_issue(
            state,
            incident=incident,
            child=child,
            recipients=route(child, status, AREA.config, incident),
            config=AREA.config,
            deadline_of=_deadline,
            source_event_id=source,
            now=NOW,
        )
        assert issue is not None
        issues.append(issue)
        state = issue.state
    first, second = issues
    assert (first.state.primary_org, first.state.deadline) == (
        "999002",
        datetime(2026, 11, 23, 8, 30, tzinfo=UTC),
    )
    assert (second.state.primary_org, second.state.revision, second.rerouted_from) == (
        "999001",
        2,
        "999002",
    )
    assert second.state.deadline == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
    assert second.state.delivered_at == NOW, "the new school's inbox has it from now"


def test_an_original_that_arrives_after_its_update_brings_the_deadline_forward() -> None:
    update = sample_event("IncidentRecorded")
    update["circumstances"] += " Update."
    update["recorded_at"] += timedelta(days=3)
    late = _issue(None, update, source="e2")
    assert late is not None
    early = _issue(late.state, sample_event("IncidentRecorded"), source="e1")
    assert early is not None
    assert early.state.revision == 2
    assert early.state.deadline == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def test_a_school_without_a_key_adult_escalates_at_once_and_only_once() -> None:
    issue = _issue(None, sample_event("IncidentRecorded"), urn="999003")
    assert issue is not None
    assert issue.state.primary_kind is RecipientKind.LA_COORDINATOR
    assert issue.escalation is not None
    assert issue.state.escalated
    kinds = [
        t
        for t, _ in wire.issue_records(
            issue,
            incident=_facts(sample_event("IncidentRecorded"))[0],
            child_id="C1",
            source_event_id=str(uuid.uuid4()),
        )
    ]
    assert kinds == [wire.ISSUED, wire.ESCALATED]
    update = sample_event("IncidentRecorded")
    update["circumstances"] += " More."
    again = _issue(issue.state, update, urn="999003", source="e2")
    assert again is not None
    assert again.escalation is None


def test_a_police_named_school_the_child_has_left_is_a_reroute() -> None:
    record = sample_event("EncompassNotificationRequested")
    record["school_urn"] = "999001"
    request = inputs.request_facts(record, record_id="R1", local_authority="999")
    history = fold_enrolments(
        "R1",
        (
            PupilEnrolled(child_key="R1", urn="999001", enrolled_on=date(2024, 9, 3)),
            PupilLeft(child_key="R1", urn="999001", left_on=date(2026, 7, 20)),
            PupilEnrolled(child_key="R1", urn="999002", enrolled_on=date(2026, 9, 3)),
        ),
    )
    checked = validate_request(request, history, AREA.config)
    issue = decide_issue(
        None,
        incident=request.incident,
        child=request.child,
        recipients=checked.recipients,
        config=AREA.config,
        deadline_of=_deadline,
        source_event_id="e1",
        now=NOW,
        rerouted_from=checked.rerouted_from,
        reroute_reason=checked.reason,
    )
    assert issue is not None
    assert issue.state.primary_org == "999002"
    records = wire.issue_records(
        issue, incident=request.incident, child_id="C1", source_event_id=str(uuid.uuid4())
    )
    assert [t for t, _ in records] == [wire.REROUTED, wire.ISSUED]
    assert records[0][1]["from_organisation_id"] == "999001"


def test_timers_miss_nothing_delivered_in_time_and_escalate_an_hour_after_the_deadline() -> None:
    issue = _issue(None, sample_event("IncidentRecorded"))
    assert issue is not None
    state = issue.state
    assert timers_due([state], state.deadline + timedelta(minutes=59), AREA.config) == []
    due = timers_due([state], state.deadline + timedelta(hours=1), AREA.config)
    assert len(due) == 1
    (escalated,) = due
    event_type, record = wire.timer_record(escalated)
    assert event_type == wire.ESCALATED
    assert record["to_organisation_id"] == "northbrook-encompass"
    folded = mark_timer(state, wire.timer_event(event_type, record), AREA.config)
    assert folded is not None
    assert folded.escalated
    assert mark_timer(folded, escalated, AREA.config) is None  # the timer fired twice
    acked = acknowledge(state, organisation_id="999002", acknowledged_at=state.deadline)
    assert mark_timer(acked, escalated, AREA.config) is None  # acknowledged since the tick
    assert timers_due([folded], state.deadline + timedelta(hours=2), AREA.config) == []


def test_an_acknowledgement_by_the_recipient_stops_escalation() -> None:
    issue = _issue(None, sample_event("IncidentRecorded"))
    assert issue is not None
    at = issue.state.deadline - timedelta(minutes=5)
    assert acknowledge(issue.state, organisation_id="999001", acknowledged_at=at) is None
    acked = acknowledge(issue.state, organisation_id="999002", acknowledged_at=at)
    assert acked is not None
    assert acknowledge(acked, organisation_id="999002", acknowledged_at=at) is None
    assert timers_due([acked], acked.deadline + timedelta(days=1), AREA.config) == []


def test_a_notification_issued_after_its_deadline_is_late() -> None:
    issue = _issue(None, sample_event("IncidentRecorded"), now=NOW + timedelta(days=4))
    assert issue is not None
    due = timers_due([issue.state], NOW + timedelta(days=4), AREA.config)
    assert [type(d).__name__ for d in due] == ["EncompassDeadlineMissed", "EncompassEscalated"]


def test_every_wire_record_encodes_against_its_released_schema() -> None:
    issue = _issue(None, sample_event("IncidentRecorded"), urn="999003")
    assert issue is not None
    incident = _facts(sample_event("IncidentRecorded"))[0]
    records = wire.issue_records(
        issue, incident=incident, child_id="C1", source_event_id=str(uuid.uuid4())
    )
    records += [
        wire.timer_record(t)
        for t in timers_due([issue.state], NOW + timedelta(days=9), AREA.config)
    ]
    for event_type, record in records:
        assert codec.decode(codec.encode(event_type, record)).event_type == event_type
    issued = dict(records)[wire.ISSUED]
    assert issued["event_id"] == wire.event_id(wire.ISSUED, incident.police_reference, "R1", 1)


_EXTRA = st.dictionaries(
    st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
    st.text(max_size=20),
    max_size=4,
)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), extra=_EXTRA)
def test_content_never_carries_a_field_outside_the_allow_list(
    seed: int, extra: dict[str, str]
) -> None:
    # Generated incidents, with whatever else a force might add to a linked child's entry.
    scenario = generate(seed, children=12, schools=2, days=3, start=date(2026, 11, 9))
    incidents = [
        e for e in scenario.events if e["event_type"] == "IncidentRecorded" and e["domestic_abuse"]
    ]
    for record in incidents:
        record = copy.deepcopy(record)
        for child in record["children"]:
            child.update({f"x_{k}": v for k, v in extra.items()})
            incident, linked = _facts(record, child["subject_index"])
            issue = _issue(None, record, urn=None, index=child["subject_index"])
            assert issue is not None
            out = dict(
                wire.issue_records(
                    issue, incident=incident, child_id="C1", source_event_id=str(uuid.uuid4())
                )
            )
            assert set(out[wire.ISSUED]["content"]) <= ALLOWED_FIELDS
            assert set(issue.content.as_dict()) == ALLOWED_FIELDS
            assert linked.name in out[wire.ISSUED]["content"]["child_name"]

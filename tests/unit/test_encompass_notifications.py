"""The notification lifecycle on an advanced clock: re-notification, missed deadline, escalation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from streams.encompass.calendar import SchoolCalendar, deadline_for
from streams.encompass.model import (
    AreaConfig,
    IncidentFacts,
    KeyAdult,
    LinkedChild,
    Service,
    Setting,
)
from streams.encompass.notifications import (
    EncompassDeadlineMissed,
    EncompassEscalated,
    EncompassNotificationAcknowledged,
    EncompassNotificationDelivered,
    EncompassNotificationIssued,
    EncompassRerouted,
    EscalationReason,
    Notification,
    NotificationEvent,
    NotificationKey,
    NotificationStatus,
    due_timers,
    fold,
    issue_notification,
)
from streams.encompass.routing import Enrolment, RecipientKind, escalation_recipient, route

CONFIG = AreaConfig(
    local_authority="999",
    coordinator=Service(service_id="LA999-ENC", name="Northbrook Encompass", contact_name="R"),
    settings={
        "999001": Setting(urn="999001", name="Oak", key_adult=KeyAdult(name="Jo Smith")),
        "999004": Setting(urn="999004", name="Elm", key_adult=None),
    },
)
RECORDED = datetime(2026, 11, 18, 20, tzinfo=UTC)  # a Wednesday evening (GMT)
DEADLINE = datetime(2026, 11, 19, 8, 30, tzinfo=UTC)
KEY = NotificationKey("NP-1", "C1")
CHILD = LinkedChild(child_key="C1", name="Alex Doe", date_of_birth=date(2016, 4, 1), present=True)
INCIDENT = IncidentFacts(
    police_reference="NP-1",
    occurred_at=RECORDED - timedelta(hours=1),
    recorded_at=RECORDED,
    place="Home",
    circumstances="Argument",
    local_authority="999",
    children=(CHILD,),
)


def at_school(urn: str) -> Enrolment:
    return Enrolment(child_key="C1", urn=urn, enrolled_on=date(2025, 9, 1))


def issue(
    log: list[NotificationEvent],
    *,
    incident: IncidentFacts = INCIDENT,
    enrolment: Enrolment | None = None,
    now: datetime = RECORDED,
) -> list[NotificationEvent]:
    """Run the issue command against the folded log and append what it raises."""
    recipients = route(CHILD, enrolment or at_school("999001"), CONFIG, incident)
    events = issue_notification(
        fold(log).get(KEY),
        incident=incident,
        child=CHILD,
        recipients=recipients,
        deadline=deadline_for(
            incident.recorded_at, SchoolCalendar(urn=recipients[0].organisation_id)
        ),
        escalate_to=escalation_recipient(CONFIG, recipients[0]),
        now=now,
    )
    log.extend(events)
    return events


def tick(log: list[NotificationEvent], now: datetime) -> list[NotificationEvent]:
    """Run the timers at `now`, folding what they raise back into the log."""
    raised: list[NotificationEvent] = list(due_timers(fold(log).values(), now))
    log.extend(raised)
    return raised


def state(log: Iterable[NotificationEvent]) -> Notification:
    return fold(log)[KEY]


def delivered(at: datetime, revision: int = 1) -> EncompassNotificationDelivered:
    return EncompassNotificationDelivered(
        police_reference="NP-1",
        child_key="C1",
        organisation_id="999001",
        revision=revision,
        delivered_at=at,
    )


def acknowledged(at: datetime) -> EncompassNotificationAcknowledged:
    return EncompassNotificationAcknowledged(
        police_reference="NP-1",
        child_key="C1",
        organisation_id="999001",
        acknowledged_by="Jo Smith",
        acknowledged_at=at,
    )


def test_issue_then_deliver_then_acknowledge() -> None:
    log: list[NotificationEvent] = []
    [issued] = issue(log)
    assert isinstance(issued, EncompassNotificationIssued)
    assert (issued.revision, issued.deadline) == (1, DEADLINE)
    assert state(log).status is NotificationStatus.ISSUED
    log.append(delivered(RECORDED + timedelta(minutes=2)))
    assert state(log).status is NotificationStatus.DELIVERED
    log.append(acknowledged(DEADLINE - timedelta(minutes=10)))
    n = state(log)
    assert (n.status, n.acknowledged_by) == (NotificationStatus.ACKNOWLEDGED, "Jo Smith")
    assert tick(log, DEADLINE + timedelta(days=1)) == []


def test_re_notification_updates_the_same_notification_with_a_higher_revision() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    log.append(delivered(RECORDED + timedelta(minutes=2)))
    updated = replace(INCIDENT, circumstances="Argument; child later said she was scared")
    [reissued] = issue(log, incident=updated, now=RECORDED + timedelta(hours=3))
    assert isinstance(reissued, EncompassNotificationIssued)
    assert reissued.revision == 2
    assert len(fold(log)) == 1
    n = state(log)
    assert n.content.circumstances.endswith("scared")
    assert n.status is NotificationStatus.DELIVERED  # the Key Adult already has it...
    assert n.update_pending  # ...and the update is waiting to go out


def test_redelivered_incident_raises_nothing() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    assert issue(log, now=RECORDED + timedelta(minutes=5)) == []
    assert state(log).revision == 1


def test_re_notification_keeps_the_first_deadline() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    later = replace(INCIDENT, recorded_at=RECORDED + timedelta(days=1), circumstances="more")
    issue(log, incident=later, now=later.recorded_at)
    assert state(log).deadline == DEADLINE


def test_not_delivered_by_the_deadline_is_missed_once() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    assert tick(log, DEADLINE - timedelta(seconds=1)) == []
    [missed] = tick(log, DEADLINE)
    assert isinstance(missed, EncompassDeadlineMissed)
    assert (missed.organisation_id, missed.deadline) == ("999001", DEADLINE)
    assert tick(log, DEADLINE + timedelta(minutes=30)) == []


def test_delivered_late_before_the_timer_ran_is_still_missed() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    log.append(delivered(DEADLINE + timedelta(seconds=20)))
    assert [type(e) for e in tick(log, DEADLINE + timedelta(minutes=1))] == [
        EncompassDeadlineMissed
    ]


def test_unacknowledged_an_hour_after_the_deadline_escalates_to_the_coordinator_once() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    log.append(delivered(RECORDED + timedelta(minutes=2)))
    assert tick(log, DEADLINE + timedelta(minutes=59)) == []
    [escalated] = tick(log, DEADLINE + timedelta(hours=1))
    assert isinstance(escalated, EncompassEscalated)
    assert escalated.reason is EscalationReason.NOT_ACKNOWLEDGED
    assert escalated.to.kind is RecipientKind.LA_COORDINATOR
    assert escalated.about_organisation_id == "999001"
    assert tick(log, DEADLINE + timedelta(hours=5)) == []


def test_never_delivered_misses_then_escalates_and_a_late_clock_raises_both_at_once() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    raised = tick(log, DEADLINE + timedelta(hours=2))
    assert [type(e) for e in raised] == [EncompassDeadlineMissed, EncompassEscalated]
    assert tick(log, DEADLINE + timedelta(hours=3)) == []


def test_acknowledged_within_the_hour_does_not_escalate() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    log.append(acknowledged(DEADLINE + timedelta(minutes=59)))
    assert [type(e) for e in tick(log, DEADLINE + timedelta(hours=1))] == [
        EncompassDeadlineMissed  # acknowledging at 09:29 means it was not there at 08:30
    ]


def test_acknowledgement_arriving_before_its_delivery_still_counts() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    log.append(acknowledged(RECORDED + timedelta(minutes=5)))
    log.append(delivered(RECORDED + timedelta(minutes=4)))
    n = state(log)
    assert n.status is NotificationStatus.ACKNOWLEDGED
    assert n.delivered_at == RECORDED + timedelta(minutes=4)


def test_school_without_key_adult_escalates_at_issue_not_silently() -> None:
    log: list[NotificationEvent] = []
    events = issue(log, enrolment=at_school("999004"))
    assert [type(e) for e in events] == [EncompassNotificationIssued, EncompassEscalated]
    escalated = events[1]
    assert isinstance(escalated, EncompassEscalated)
    assert escalated.reason is EscalationReason.NO_KEY_ADULT
    assert escalated.about_organisation_id == "999004"
    assert state(log).primary.kind is RecipientKind.LA_COORDINATOR


def test_late_enrolment_reroutes_from_the_coordinator_to_the_school() -> None:
    log: list[NotificationEvent] = []
    recipients = route(CHILD, None, CONFIG, INCIDENT)
    log += issue_notification(
        None,
        incident=INCIDENT,
        child=CHILD,
        recipients=recipients,
        deadline=DEADLINE,
        escalate_to=escalation_recipient(CONFIG, recipients[0]),
        now=RECORDED,
    )
    log.append(replace(delivered(RECORDED + timedelta(minutes=1)), organisation_id="LA999-ENC"))
    assert state(log).status is NotificationStatus.DELIVERED
    events = issue(log, now=RECORDED + timedelta(hours=1))
    assert [type(e) for e in events] == [EncompassRerouted, EncompassNotificationIssued]
    rerouted = events[0]
    assert isinstance(rerouted, EncompassRerouted)
    assert (rerouted.from_organisation_id, rerouted.to.organisation_id) == ("LA999-ENC", "999001")
    n = state(log)
    assert (n.revision, n.status, n.deadline) == (2, NotificationStatus.ISSUED, DEADLINE)


def test_police_named_school_rerouted_records_where_it_was_meant_to_go() -> None:
    recipients = route(CHILD, at_school("999001"), CONFIG, INCIDENT)
    events = issue_notification(
        None,
        incident=INCIDENT,
        child=CHILD,
        recipients=recipients,
        deadline=DEADLINE,
        escalate_to=escalation_recipient(CONFIG, recipients[0]),
        now=RECORDED,
        rerouted_from="999777",
        reroute_reason="child has left 999777",
    )
    assert [type(e) for e in events] == [EncompassRerouted, EncompassNotificationIssued]


def test_delivery_to_a_copy_recipient_does_not_count_as_delivery_to_the_school() -> None:
    log: list[NotificationEvent] = []
    issue(log)
    log.append(replace(delivered(RECORDED), organisation_id="HV-N"))
    assert state(log).status is NotificationStatus.ISSUED


def test_events_before_the_issue_are_ignored_rather_than_crashing() -> None:
    assert fold([delivered(RECORDED), acknowledged(RECORDED)]) == {}


offsets = st.integers(min_value=-600, max_value=600).map(lambda m: timedelta(minutes=m))


@given(
    delivered_after=st.none() | offsets,
    acknowledged_after=st.none() | offsets,
    ticks=st.lists(offsets, min_size=1, max_size=12),
)
def test_timers_fire_at_most_once_each_and_only_when_due(
    delivered_after: timedelta | None,
    acknowledged_after: timedelta | None,
    ticks: list[timedelta],
) -> None:
    log: list[NotificationEvent] = []
    issue(log)
    if delivered_after is not None:
        log.append(delivered(DEADLINE + delivered_after))
    if acknowledged_after is not None:
        log.append(acknowledged(DEADLINE + acknowledged_after))
    raised = [e for t in sorted(ticks) for e in tick(log, DEADLINE + t)]
    missed = [e for e in raised if isinstance(e, EncompassDeadlineMissed)]
    escalated = [e for e in raised if isinstance(e, EncompassEscalated)]
    n = state(log)
    last = DEADLINE + max(ticks)
    on_time = n.delivered_at is not None and n.delivered_at < DEADLINE
    acked = n.acknowledged_at is not None and n.acknowledged_at < DEADLINE + timedelta(hours=1)
    assert len(missed) == int(last >= DEADLINE and not on_time)
    assert len(escalated) == int(last >= DEADLINE + timedelta(hours=1) and not acked)

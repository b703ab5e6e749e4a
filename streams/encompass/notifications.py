"""The notification lifecycle: issue, deliver, acknowledge; and the timers that watch it.

One notification per (police reference, child key). State is a pure fold over the events
below; the timers look at folded state and the injected `now`, and every event they raise
folds back in, so each is raised at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from streams.encompass.content import NotificationContent, build_notification_content
from streams.encompass.model import IncidentFacts, LinkedChild, require_aware
from streams.encompass.routing import ESCALATING_REASONS, Recipient

# DOMAIN.md: unacknowledged by the Key Adult an hour after the deadline, it escalates.
ACKNOWLEDGEMENT_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class NotificationKey:
    """The identity of a notification: the same incident and child is the same notification."""

    police_reference: str
    child_key: str


class NotificationStatus(StrEnum):
    """Where the accountable recipient has got to."""

    ISSUED = "issued"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"


class EscalationReason(StrEnum):
    """Why the coordinator (or front door) is being told."""

    NOT_ACKNOWLEDGED = "not_acknowledged"
    NO_KEY_ADULT = "no_key_adult"
    UNKNOWN_SETTING = "unknown_setting"


# --- Events ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EncompassNotificationIssued:
    """A notification was issued, or re-issued with a higher revision for the same key."""

    police_reference: str
    child_key: str
    revision: int
    local_authority: str
    recipients: tuple[Recipient, ...]  # accountable recipient first
    content: NotificationContent
    deadline: datetime
    escalate_to: Recipient
    issued_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EncompassNotificationDelivered:
    """A revision reached a recipient's organisation."""

    police_reference: str
    child_key: str
    organisation_id: str
    revision: int
    delivered_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EncompassNotificationAcknowledged:
    """A named person at the recipient confirmed they have read it."""

    police_reference: str
    child_key: str
    organisation_id: str
    acknowledged_by: str
    acknowledged_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EncompassDeadlineMissed:
    """Not delivered before the first school session after the incident."""

    police_reference: str
    child_key: str
    organisation_id: str
    deadline: datetime
    detected_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EncompassEscalated:
    """The LA coordinator (or front door) was told a notification has not landed."""

    police_reference: str
    child_key: str
    to: Recipient
    reason: EscalationReason
    about_organisation_id: str | None  # the setting that could not receive or did not acknowledge
    escalated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EncompassRerouted:
    """A notification went somewhere other than first named or addressed."""

    police_reference: str
    child_key: str
    from_organisation_id: str
    to: Recipient
    reason: str
    rerouted_at: datetime


NotificationEvent = (
    EncompassNotificationIssued
    | EncompassNotificationDelivered
    | EncompassNotificationAcknowledged
    | EncompassDeadlineMissed
    | EncompassEscalated
    | EncompassRerouted
)


def key_of(event: NotificationEvent) -> NotificationKey:
    """The notification an event belongs to (the partitioning key)."""
    return NotificationKey(event.police_reference, event.child_key)


# --- State -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """Folded state of one notification."""

    key: NotificationKey
    revision: int
    local_authority: str
    recipients: tuple[Recipient, ...]
    content: NotificationContent
    deadline: datetime
    escalate_to: Recipient
    issued_at: datetime
    delivered_at: datetime | None = None  # first delivery to the accountable recipient
    delivered_revision: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    deadline_missed: bool = False
    escalated: bool = False

    @property
    def primary(self) -> Recipient:
        """The accountable recipient: the setting, or the coordinator standing in for one."""
        return self.recipients[0]

    @property
    def status(self) -> NotificationStatus:
        """ISSUED -> DELIVERED -> ACKNOWLEDGED, for the accountable recipient."""
        if self.acknowledged_at is not None:
            return NotificationStatus.ACKNOWLEDGED
        if self.delivered_at is not None:
            return NotificationStatus.DELIVERED
        return NotificationStatus.ISSUED

    @property
    def update_pending(self) -> bool:
        """True when a later revision than the one delivered is waiting to go out."""
        return self.delivered_revision is not None and self.delivered_revision < self.revision


def _issued(state: Notification | None, event: EncompassNotificationIssued) -> Notification:
    fresh = Notification(
        key=key_of(event),
        revision=event.revision,
        local_authority=event.local_authority,
        recipients=event.recipients,
        content=event.content,
        deadline=event.deadline,
        escalate_to=event.escalate_to,
        issued_at=event.issued_at,
    )
    if state is None:
        return fresh
    if event.revision <= state.revision:
        return state  # a redelivered or stale revision
    if event.recipients[0].organisation_id != state.primary.organisation_id:
        # Rerouted: the new recipient has nothing yet. Timer flags stay: at most once each.
        return replace(fresh, deadline_missed=state.deadline_missed, escalated=state.escalated)
    return replace(
        state,
        revision=event.revision,
        recipients=event.recipients,
        content=event.content,
        deadline=event.deadline,
        escalate_to=event.escalate_to,
    )


def apply(state: Notification | None, event: NotificationEvent) -> Notification | None:
    """Fold one event into a notification's state. Events before the issue are ignored."""
    if isinstance(event, EncompassNotificationIssued):
        return _issued(state, event)
    if state is None or isinstance(event, EncompassRerouted):
        return state
    if isinstance(event, EncompassDeadlineMissed):
        return replace(state, deadline_missed=True)
    if isinstance(event, EncompassEscalated):
        return replace(state, escalated=True)
    if event.organisation_id != state.primary.organisation_id:
        return state  # a copy (health visitor, midwife) or a recipient since rerouted away from
    if isinstance(event, EncompassNotificationDelivered):
        return replace(
            state,
            delivered_at=min(filter(None, (state.delivered_at, event.delivered_at))),
            delivered_revision=max(state.delivered_revision or 0, event.revision),
        )
    if state.acknowledged_at is not None:
        return state
    # Acknowledging implies it arrived, whatever order the two events came in.
    return replace(
        state,
        delivered_at=state.delivered_at or event.acknowledged_at,
        acknowledged_at=event.acknowledged_at,
        acknowledged_by=event.acknowledged_by,
    )


def fold(events: Iterable[NotificationEvent]) -> dict[NotificationKey, Notification]:
    """Every notification's state from a stream of events."""
    states: dict[NotificationKey, Notification] = {}
    for event in events:
        key = key_of(event)
        new = apply(states.get(key), event)
        if new is not None:
            states[key] = new
    return states


# --- Commands --------------------------------------------------------------------------------


def issue_notification(
    existing: Notification | None,
    *,
    incident: IncidentFacts,
    child: LinkedChild,
    recipients: Sequence[Recipient],
    deadline: datetime,
    escalate_to: Recipient,
    now: datetime,
    rerouted_from: str | None = None,
    reroute_reason: str | None = None,
) -> list[NotificationEvent]:
    """Events to issue (or re-issue) the notification for one child of one incident.

    Re-notification of the same police reference updates the existing notification with a
    higher revision; an identical re-issue (a redelivered incident) raises nothing.
    `rerouted_from` is the school a force named when validation sent it elsewhere.
    """
    require_aware(now, "now")
    require_aware(deadline, "deadline")
    if not recipients:
        raise ValueError("a notification needs at least one recipient")
    content = build_notification_content(incident, child)
    recipients = tuple(recipients)
    primary = recipients[0]
    if existing is not None:
        if existing.content == content and existing.recipients == recipients:
            return []
        # The clock started with the first notification: a re-notification buys no time.
        deadline = existing.deadline
    events: list[NotificationEvent] = []
    moved_from, why = rerouted_from, reroute_reason
    if existing is not None and existing.primary.organisation_id != primary.organisation_id:
        moved_from, why = existing.primary.organisation_id, "re-notified to a different recipient"
    if moved_from is not None and moved_from != primary.organisation_id:
        events.append(
            EncompassRerouted(
                police_reference=incident.police_reference,
                child_key=child.child_key,
                from_organisation_id=moved_from,
                to=primary,
                reason=why or "rerouted",
                rerouted_at=now,
            )
        )
    events.append(
        EncompassNotificationIssued(
            police_reference=incident.police_reference,
            child_key=child.child_key,
            revision=1 if existing is None else existing.revision + 1,
            local_authority=incident.local_authority,
            recipients=recipients,
            content=content,
            deadline=deadline,
            escalate_to=escalate_to,
            issued_at=now,
        )
    )
    if primary.reason in ESCALATING_REASONS and not (existing is not None and existing.escalated):
        # A setting that cannot receive is an escalation now, not a silent drop.
        events.append(
            EncompassEscalated(
                police_reference=incident.police_reference,
                child_key=child.child_key,
                to=escalate_to,
                reason=EscalationReason(primary.reason.value),
                about_organisation_id=primary.intended_urn,
                escalated_at=now,
            )
        )
    return events


def due_timers(
    notifications: Iterable[Notification], now: datetime
) -> list[EncompassDeadlineMissed | EncompassEscalated]:
    """Timer events due at `now`: a missed deadline, then escalation an hour after it.

    Delivered "by" the deadline means before the session starts; acknowledged within the
    hour means before deadline + 1h. Fold the returned events back in so none repeats.
    """
    require_aware(now, "now")
    due: list[EncompassDeadlineMissed | EncompassEscalated] = []
    for n in notifications:
        if (
            not n.deadline_missed
            and now >= n.deadline
            and (n.delivered_at is None or n.delivered_at >= n.deadline)
        ):
            due.append(
                EncompassDeadlineMissed(
                    police_reference=n.key.police_reference,
                    child_key=n.key.child_key,
                    organisation_id=n.primary.organisation_id,
                    deadline=n.deadline,
                    detected_at=now,
                )
            )
        escalate_at = n.deadline + ACKNOWLEDGEMENT_GRACE
        if (
            not n.escalated
            and now >= escalate_at
            and (n.acknowledged_at is None or n.acknowledged_at >= escalate_at)
        ):
            due.append(
                EncompassEscalated(
                    police_reference=n.key.police_reference,
                    child_key=n.key.child_key,
                    to=n.escalate_to,
                    reason=EscalationReason.NOT_ACKNOWLEDGED,
                    about_organisation_id=n.primary.organisation_id,
                    escalated_at=now,
                )
            )
    return due

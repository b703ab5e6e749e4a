"""The Encompass stage's per-notification state and decisions (pure).

The stream processor's table holds one `NotificationState` per (police reference, record id):
ids, states, the deadline, times and flags, and digests of the content and recipients so a
redelivered or identical re-notification is recognised. Never the content itself: the table's
changelog is a second copy in Kafka.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

from streams.encompass.content import NotificationContent, build_notification_content
from streams.encompass.model import AreaConfig, IncidentFacts, LinkedChild, require_aware
from streams.encompass.notifications import (
    EncompassDeadlineMissed,
    EncompassEscalated,
    EscalationReason,
    Notification,
    NotificationKey,
    due_timers,
)
from streams.encompass.routing import (
    ESCALATING_REASONS,
    Recipient,
    RecipientKind,
    RouteReason,
    escalation_recipient,
)

# The table key: police reference and record id (a police reference never holds this byte).
KEY_SEPARATOR = "\x1f"

# due_timers needs a Notification; the table holds no content, and the timers never read it.
_NO_CONTENT = NotificationContent(
    child_name="",
    child_date_of_birth=date(1970, 1, 1),
    police_reference="",
    incident_at=datetime.fromisoformat("1970-01-01T00:00:00+00:00"),
    incident_place="",
    child_present=False,
    child_whereabouts=None,
    child_spoken_to=False,
    child_voice=None,
    circumstances="",
)


def table_key(police_reference: str, record_id: str) -> str:
    """The notification table's key."""
    return f"{police_reference}{KEY_SEPARATOR}{record_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationState:
    """One notification as the stage remembers it (no names, no content)."""

    police_reference: str
    record_id: str
    revision: int
    primary_kind: RecipientKind
    primary_org: str
    primary_reason: RouteReason
    intended_urn: str | None
    content_digest: str
    recipients_digest: str
    first_recorded_at: datetime  # of the earliest publication seen: the clock starts there
    deadline: datetime
    issued_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None = None
    deadline_missed: bool = False
    escalated: bool = False
    sources: tuple[str, ...] = ()  # accepted event ids already applied

    @property
    def primary(self) -> Recipient:
        """The accountable recipient, ids only (names come from the area when needed)."""
        return Recipient(
            kind=self.primary_kind,
            organisation_id=self.primary_org,
            organisation_name="",
            person_name=None,
            reason=self.primary_reason,
            intended_urn=self.intended_urn,
        )

    def to_json(self) -> str:
        body = asdict(self)
        for name in (
            "first_recorded_at",
            "deadline",
            "issued_at",
            "delivered_at",
            "acknowledged_at",
        ):
            body[name] = None if body[name] is None else body[name].isoformat()
        body["sources"] = list(self.sources)
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> NotificationState:
        body = json.loads(text)
        for name in (
            "first_recorded_at",
            "deadline",
            "issued_at",
            "delivered_at",
            "acknowledged_at",
        ):
            if body[name] is not None:
                body[name] = datetime.fromisoformat(body[name])
        body["primary_kind"] = RecipientKind(body["primary_kind"])
        body["primary_reason"] = RouteReason(body["primary_reason"])
        body["sources"] = tuple(body["sources"])
        return cls(**body)


def digest(value: object) -> str:
    """A stable digest of content or recipients (to recognise an identical re-issue)."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """A (re-)issued notification: what to publish and the state after it."""

    state: NotificationState
    recipients: tuple[Recipient, ...]
    content: NotificationContent
    escalate_to: Recipient
    rerouted_from: str | None = None
    reroute_reason: str | None = None
    escalation: EscalationReason | None = None  # the setting cannot receive: escalate now
    unchanged: bool = False  # an identical re-notification: remember its source, publish nothing


def decide_issue(
    state: NotificationState | None,
    *,
    incident: IncidentFacts,
    child: LinkedChild,
    recipients: Sequence[Recipient],
    config: AreaConfig,
    deadline_of: Callable[[datetime, Recipient], datetime],
    source_event_id: str,
    now: datetime,
    rerouted_from: str | None = None,
    reroute_reason: str | None = None,
) -> Issue | None:
    """Issue the notification for one child of one incident, or re-issue it (revision + 1).

    None when nothing changes: a redelivered source event, or a re-notification identical in
    content, recipients and deadline. The deadline runs from the earliest publication seen,
    so a re-notification (or one that overtook the original) buys no time; the content is the
    one processed last.
    """
    require_aware(now, "now")
    if not recipients:
        raise ValueError("a notification needs at least one recipient")
    if state is not None and source_event_id in state.sources:
        return None
    recipients = tuple(recipients)
    primary = recipients[0]
    content = build_notification_content(incident, child)
    first = (
        incident.recorded_at
        if state is None
        else min(state.first_recorded_at, incident.recorded_at)
    )
    deadline = deadline_of(first, primary)
    content_digest = digest(content.as_dict())
    recipients_digest = digest([asdict(r) for r in recipients])
    sources = (state.sources if state else ()) + (source_event_id,)
    if (
        state is not None
        and state.content_digest == content_digest
        and state.recipients_digest == recipients_digest
        and state.deadline == deadline
    ):
        return Issue(
            state=replace(state, sources=sources),
            recipients=recipients,
            content=content,
            escalate_to=escalation_recipient(config, primary),
            unchanged=True,
        )
    moved = state is not None and state.primary_org != primary.organisation_id
    fresh = NotificationState(
        police_reference=incident.police_reference,
        record_id=child.child_key,
        revision=1 if state is None else state.revision + 1,
        primary_kind=primary.kind,
        primary_org=primary.organisation_id,
        primary_reason=primary.reason,
        intended_urn=primary.intended_urn,
        content_digest=content_digest,
        recipients_digest=recipients_digest,
        first_recorded_at=first,
        deadline=deadline,
        issued_at=now,
        # "Delivered" means in the recipient's hub inbox, which issuing does (see the agent).
        delivered_at=now if state is None or moved else state.delivered_at,
        acknowledged_at=None if state is None or moved else state.acknowledged_at,
        deadline_missed=state.deadline_missed if state else False,
        escalated=state.escalated if state else False,
        sources=sources,
    )
    escalation = None
    if primary.reason in ESCALATING_REASONS and not fresh.escalated:
        escalation = EscalationReason(primary.reason.value)
        fresh = replace(fresh, escalated=True)
    if moved and state is not None and rerouted_from is None:
        rerouted_from, reroute_reason = state.primary_org, "re-notified to a different recipient"
    if rerouted_from == primary.organisation_id:
        rerouted_from = None
    return Issue(
        state=fresh,
        recipients=recipients,
        content=content,
        escalate_to=escalation_recipient(config, primary),
        rerouted_from=rerouted_from,
        reroute_reason=reroute_reason,
        escalation=escalation,
    )


def acknowledge(
    state: NotificationState | None, *, organisation_id: str, acknowledged_at: datetime
) -> NotificationState | None:
    """Fold an acknowledgement; None when it changes nothing (unknown, other org, repeated)."""
    if state is None or organisation_id != state.primary_org or state.acknowledged_at is not None:
        return None
    return replace(
        state, acknowledged_at=acknowledged_at, delivered_at=state.delivered_at or acknowledged_at
    )


def mark_timer(
    state: NotificationState | None,
    event: EncompassDeadlineMissed | EncompassEscalated,
    config: AreaConfig,
) -> NotificationState | None:
    """Fold a timer's event; None when it no longer applies: already folded (the timer fired
    twice) or overtaken (acknowledged, or re-issued, between the tick and the fold)."""
    if state is None:
        return None
    at = event.detected_at if isinstance(event, EncompassDeadlineMissed) else event.escalated_at
    if not any(type(d) is type(event) for d in timers_due([state], at, config)):
        return None
    if isinstance(event, EncompassDeadlineMissed):
        return replace(state, deadline_missed=True)
    return replace(state, escalated=True)


def _shadow(state: NotificationState, config: AreaConfig) -> Notification:
    primary = state.primary
    return Notification(
        key=NotificationKey(state.police_reference, state.record_id),
        revision=state.revision,
        local_authority=config.local_authority,
        recipients=(primary,),
        content=_NO_CONTENT,
        deadline=state.deadline,
        escalate_to=escalation_recipient(config, primary),
        issued_at=state.issued_at,
        delivered_at=state.delivered_at,
        acknowledged_at=state.acknowledged_at,
        deadline_missed=state.deadline_missed,
        escalated=state.escalated,
    )


def timers_due(
    states: Iterable[NotificationState], now: datetime, config: AreaConfig
) -> list[EncompassDeadlineMissed | EncompassEscalated]:
    """The domain's due_timers over the table's states."""
    return due_timers((_shadow(s, config) for s in states), now)

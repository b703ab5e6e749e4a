"""Who receives an Encompass notification, and where a child is on roll.

Enrolment is a pure fold over PupilEnrolled / PupilLeft that gives the same answer whatever
order the events arrive in: the answer is decided by effective dates, never arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from streams.encompass.calendar import LONDON
from streams.encompass.model import (
    AreaConfig,
    IncidentFacts,
    LinkedChild,
    Service,
    Setting,
    SettingKind,
    require_aware,
)

EARLY_YEARS_MAX_AGE = 4  # "aged 4 or under" on the incident date
ADULT_AGE = 18

# --- Enrolment -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PupilEnrolled:
    """A setting put the child on roll from `enrolled_on` (no URN: home educated from then)."""

    child_key: str
    urn: str | None  # None: registered as electively home educated, as the wire schema has it
    enrolled_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class PupilLeft:
    """The child came off a roll; `left_on` is the last day on roll (DfE meaning)."""

    child_key: str
    urn: str | None  # None: no longer electively home educated
    left_on: date
    elective_home_education: bool = False  # the reason given was elective home education


EnrolmentEvent = PupilEnrolled | PupilLeft


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrolment:
    """A spell on one setting's roll."""

    child_key: str
    urn: str
    enrolled_on: date
    left_on: date | None = None

    def on_roll(self, day: date) -> bool:
        """True if the child is on this roll on `day`."""
        return self.enrolled_on <= day and (self.left_on is None or day <= self.left_on)


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeEducated:
    """The child is electively home educated: registered as such, or left a roll for it."""

    child_key: str
    since: date


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrolmentHistory:
    """Every enrolment fact seen for one child: sets, so order and redelivery do not matter."""

    child_key: str
    enrolled: frozenset[PupilEnrolled] = frozenset()
    left: frozenset[PupilLeft] = frozenset()


def apply_enrolment(history: EnrolmentHistory, event: EnrolmentEvent) -> EnrolmentHistory:
    """Fold one PupilEnrolled / PupilLeft into a child's history."""
    if event.child_key != history.child_key:
        raise ValueError(f"event for {event.child_key} folded into history of {history.child_key}")
    if isinstance(event, PupilEnrolled):
        return replace(history, enrolled=history.enrolled | {event})
    return replace(history, left=history.left | {event})


def fold_enrolments(child_key: str, events: Iterable[EnrolmentEvent]) -> EnrolmentHistory:
    """A child's history from its enrolment events, in any order."""
    history = EnrolmentHistory(child_key=child_key)
    for event in events:
        history = apply_enrolment(history, event)
    return history


@dataclass(frozen=True, slots=True, kw_only=True)
class _Spell:
    urn: str | None
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def order(self) -> tuple[date, str]:
        # Latest start wins (a new school before the old one's leave arrives); the URN breaks
        # ties, a school over home education, so the answer never depends on arrival order.
        return (self.start, self.urn or "")


def _spells(history: EnrolmentHistory) -> list[_Spell]:
    """Each enrolment closed by the first leave from the same roll on or after its start."""
    return [
        _Spell(
            urn=e.urn,
            start=e.enrolled_on,
            end=min(
                (
                    lv.left_on
                    for lv in history.left
                    if lv.urn == e.urn and lv.left_on >= e.enrolled_on
                ),
                default=None,
            ),
        )
        for e in history.enrolled
    ]


def enrolments(history: EnrolmentHistory) -> tuple[Enrolment, ...]:
    """The spells on a setting's roll, earliest first."""
    return tuple(
        Enrolment(child_key=history.child_key, urn=s.urn, enrolled_on=s.start, left_on=s.end)
        for s in sorted(_spells(history), key=_Spell.order)
        if s.urn is not None
    )


def enrolment_status(history: EnrolmentHistory, on: date) -> Enrolment | HomeEducated | None:
    """Where the child is on `on`: the latest spell covering it, else home education if that is
    why the child last left a roll, else None (no school known)."""
    current = max((s for s in _spells(history) if s.covers(on)), key=_Spell.order, default=None)
    if current is not None and current.urn is None:
        return HomeEducated(child_key=history.child_key, since=current.start)
    if current is not None and current.urn is not None:
        return Enrolment(
            child_key=history.child_key,
            urn=current.urn,
            enrolled_on=current.start,
            left_on=current.end,
        )
    past = [lv for lv in history.left if lv.left_on < on]
    latest = max(past, key=lambda lv: (lv.left_on, lv.elective_home_education), default=None)
    if latest is not None and latest.elective_home_education:
        return HomeEducated(child_key=history.child_key, since=latest.left_on + timedelta(days=1))
    return None


def current_enrolment(history: EnrolmentHistory, on: date) -> Enrolment | None:
    """The latest enrolment that started on or before `on` and had not ended before it."""
    status = enrolment_status(history, on)
    return status if isinstance(status, Enrolment) else None


def has_left(history: EnrolmentHistory, urn: str, on: date) -> bool:
    """True if the child was on `urn`'s roll at some point and is no longer on it on `on`."""
    spells = [s for s in enrolments(history) if s.urn == urn and s.enrolled_on <= on]
    left = any(lv.urn == urn and lv.left_on < on for lv in history.left)
    return left and not any(s.on_roll(on) for s in spells)


# --- Recipients ------------------------------------------------------------------------------


class RecipientKind(StrEnum):
    """Who, in role terms, a notification goes to."""

    KEY_ADULT = "key_adult"
    EARLY_YEARS_SETTING = "early_years_setting"
    LA_COORDINATOR = "la_coordinator"
    FRONT_DOOR = "front_door"
    HEALTH_VISITOR = "health_visitor"
    MIDWIFERY = "midwifery"


class RouteReason(StrEnum):
    """Why this recipient was chosen; the coordinator reasons are reportable outcomes."""

    ENROLLED = "enrolled"
    NO_SCHOOL_KNOWN = "no_school_known"
    ELECTIVE_HOME_EDUCATION = "elective_home_education"
    NO_KEY_ADULT = "no_key_adult"  # the school cannot receive: escalation
    UNKNOWN_SETTING = "unknown_setting"  # on roll at a URN the area has not configured
    EARLY_YEARS_NOT_EXTENDED = "early_years_not_extended"
    UNDER_FIVE = "under_five"
    PREGNANCY_NOTED = "pregnancy_noted"
    ESCALATION = "escalation"


# Coordinator routes that mean a setting should have received but could not.
ESCALATING_REASONS = frozenset({RouteReason.NO_KEY_ADULT, RouteReason.UNKNOWN_SETTING})


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    """One addressee: an organisation and, where the rules require, a named person."""

    kind: RecipientKind
    organisation_id: str  # URN for settings, service id for LA and health services
    organisation_name: str
    person_name: str | None
    reason: RouteReason
    intended_urn: str | None = None  # the setting that could not receive, when escalated


def london_date(moment: datetime) -> date:
    """The Europe/London calendar date of an aware instant."""
    require_aware(moment, "moment")
    return moment.astimezone(LONDON).date()


def age_on(date_of_birth: date, day: date) -> int:
    """Age in completed years on `day` (a 29 February birthday turns over on 1 March)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def requires_notification(incident: IncidentFacts, child: LinkedChild) -> bool:
    """Encompass applies to every child under 18 linked to a domestic abuse incident."""
    return (
        incident.domestic_abuse
        and age_on(child.date_of_birth, london_date(incident.occurred_at)) < ADULT_AGE
    )


def enrolment_date(incident: IncidentFacts) -> date:
    """The day on which enrolment is judged: the London date the incident was recorded."""
    return london_date(incident.recorded_at)


def _service(
    kind: RecipientKind, service: Service, reason: RouteReason, urn: str | None = None
) -> Recipient:
    return Recipient(
        kind=kind,
        organisation_id=service.service_id,
        organisation_name=service.name,
        person_name=service.contact_name,
        reason=reason,
        intended_urn=urn,
    )


def _coordinator(config: AreaConfig, reason: RouteReason, urn: str | None = None) -> Recipient:
    return _service(RecipientKind.LA_COORDINATOR, config.coordinator, reason, urn)


def _setting_recipient(setting: Setting, config: AreaConfig, under_five: bool) -> Recipient:
    if setting.kind is SettingKind.EARLY_YEARS and not (
        config.early_years_extension and under_five
    ):
        return _coordinator(config, RouteReason.EARLY_YEARS_NOT_EXTENDED, setting.urn)
    if setting.key_adult is None:
        # Never a shared inbox: without a named Key Adult the setting cannot receive.
        return _coordinator(config, RouteReason.NO_KEY_ADULT, setting.urn)
    kind = (
        RecipientKind.KEY_ADULT
        if setting.kind is SettingKind.SCHOOL
        else RecipientKind.EARLY_YEARS_SETTING
    )
    return Recipient(
        kind=kind,
        organisation_id=setting.urn,
        organisation_name=setting.name,
        person_name=setting.key_adult.name,
        reason=RouteReason.ENROLLED,
    )


def route(
    child: LinkedChild,
    enrolment: Enrolment | HomeEducated | None,
    config: AreaConfig,
    incident: IncidentFacts,
) -> list[Recipient]:
    """Recipients for one child, the accountable one (setting or coordinator) first.

    - on roll at a school: its Key Adult by name; no named Key Adult: the coordinator (escalation)
    - no school known, or elective home education: the LA Encompass coordinator
    - aged 4 or under where the area extends Encompass: the early years setting and health visitor
    - pregnancy noted, where the area has chosen to: the midwifery service
    """
    under_five = (
        age_on(child.date_of_birth, london_date(incident.occurred_at)) <= EARLY_YEARS_MAX_AGE
    )
    if isinstance(enrolment, Enrolment):
        setting = config.settings.get(enrolment.urn)
        primary = (
            _setting_recipient(setting, config, under_five)
            if setting is not None
            else _coordinator(config, RouteReason.UNKNOWN_SETTING, enrolment.urn)
        )
    elif isinstance(enrolment, HomeEducated):
        primary = _coordinator(config, RouteReason.ELECTIVE_HOME_EDUCATION)
    else:
        primary = _coordinator(config, RouteReason.NO_SCHOOL_KNOWN)
    recipients = [primary]
    if under_five and config.early_years_extension and config.health_visiting is not None:
        recipients.append(
            _service(RecipientKind.HEALTH_VISITOR, config.health_visiting, RouteReason.UNDER_FIVE)
        )
    if incident.pregnancy_noted and config.midwifery is not None:
        recipients.append(
            _service(RecipientKind.MIDWIFERY, config.midwifery, RouteReason.PREGNANCY_NOTED)
        )
    return recipients


def escalation_recipient(config: AreaConfig, primary: Recipient) -> Recipient:
    """Where an escalation goes: the coordinator, or the front door when the coordinator is late."""
    if primary.kind is RecipientKind.LA_COORDINATOR and config.front_door is not None:
        return _service(RecipientKind.FRONT_DOOR, config.front_door, RouteReason.ESCALATION)
    return _coordinator(config, RouteReason.ESCALATION)


# --- Notifications police have already addressed ------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EncompassNotificationRequested:
    """A force that decides the school itself: the incident, one child, and the school it named."""

    incident: IncidentFacts
    child: LinkedChild
    named_urn: str | None  # None: police do not know the school


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestValidation:
    """Where a police-addressed notification really goes."""

    recipients: tuple[Recipient, ...]
    rerouted_from: str | None = None  # the named school, when it is not where the child is
    reason: str | None = None


def validate_request(
    request: EncompassNotificationRequested, history: EnrolmentHistory, config: AreaConfig
) -> RequestValidation:
    """Check the named school against enrolments: a school the child has left is a reroute."""
    on = enrolment_date(request.incident)
    status = enrolment_status(history, on)
    named = request.named_urn
    if named is None:
        # Nothing named, nothing to contradict: the same route as a derived notification.
        return RequestValidation(
            recipients=tuple(route(request.child, status, config, request.incident))
        )
    if isinstance(status, Enrolment):
        if status.urn == named:
            return RequestValidation(
                recipients=tuple(route(request.child, status, config, request.incident))
            )
        reason = f"child is on roll at {status.urn}, not {named}"
    elif isinstance(status, HomeEducated):
        reason = f"child is electively home educated since {status.since.isoformat()}"
    elif has_left(history, named, on):
        reason = f"child has left {named}"
    else:
        # Nothing on record contradicts the force (enrolments can lag): trust its school.
        assumed = Enrolment(child_key=request.child.child_key, urn=named, enrolled_on=on)
        return RequestValidation(
            recipients=tuple(route(request.child, assumed, config, request.incident))
        )
    recipients = route(request.child, status, config, request.incident)
    return RequestValidation(recipients=tuple(recipients), rerouted_from=named, reason=reason)

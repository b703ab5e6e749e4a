"""Checks Avro cannot express: identifiers, times, cross-field rules and publishing rights.

Pure functions: the current time is an argument. Problems name the field and the rule,
never the value (values are personal data and end up in dead letters and HTTP responses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from schemas.errors import FieldProblem
from streams.identity.identifiers import is_valid_nhs_number, is_valid_upn, normalise_postcode

# Source clocks drift; a few minutes ahead of ours is not "in the future".
DEFAULT_CLOCK_SKEW: Final = timedelta(minutes=5)
_LONDON: Final = ZoneInfo("Europe/London")
# DfE URNs are six digits; Ofsted registers early years settings as EY + six digits.
_URN: Final = re.compile(r"^(?:EY)?[0-9]{6}$")
_IDENTIFIER_FIELDS: Final = ("nhs_number", "upn", "police_person_ref", "la_child_id")
_LEVELS: Final = ("UNIVERSAL", "TARGETED", "COMPLEX", "SPECIALIST")
# Identity decisions name hub record ids (child_ids), not agency identifiers.
_SUBJECTLESS: Final = frozenset(
    {
        "PersonsLinked",
        "PersonsUnlinked",
        # Referral follow-ups name the referral (referral_id); the child is the referral's.
        "ReferralAcknowledged",
        "ReferralTriaged",
        "PitstopContributionAdded",
        "PitstopDecisionRecorded",
    }
)

ALL_AGENCY_KINDS: Final = frozenset(
    {
        "POLICE",
        "SCHOOL",
        "EARLY_YEARS",
        "HEALTH",
        "SOCIAL_CARE",
        "EARLY_HELP",
        "HOUSING",
        "YOUTH_JUSTICE",
        "VOLUNTARY",
        "LOCAL_AUTHORITY",
    }
)
_EDUCATION: Final = frozenset({"SCHOOL", "EARLY_YEARS"})
_EARLY_HELP: Final = frozenset({"EARLY_HELP", "VOLUNTARY"})
# Agencies that hold one of the identifiers the hub links: police ref, UPN, NHS number, LA id.
_IDENTIFIER_HOLDERS: Final = frozenset(
    {"POLICE", "SCHOOL", "EARLY_YEARS", "HEALTH", "SOCIAL_CARE", "LOCAL_AUTHORITY"}
)

# Which agency kinds may publish which event type (a product decision, per DOMAIN.md).
PUBLISHING_RIGHTS: Final[Mapping[str, frozenset[str]]] = {
    "IncidentRecorded": frozenset({"POLICE"}),
    "EncompassNotificationRequested": frozenset({"POLICE"}),
    # Any partner may refer; the receiving service (front door, PiTstop, early help,
    # a health service) records the outcome.
    "ReferralMade": ALL_AGENCY_KINDS,
    "ReferralOutcomeRecorded": frozenset(
        {"SOCIAL_CARE", "LOCAL_AUTHORITY", "POLICE", "EARLY_HELP", "HEALTH"}
    ),
    "ReferralAcknowledged": frozenset(
        {"SOCIAL_CARE", "LOCAL_AUTHORITY", "POLICE", "EARLY_HELP", "HEALTH"}
    ),
    # RAG triage is the front door's (MASH).
    "ReferralTriaged": frozenset({"SOCIAL_CARE", "LOCAL_AUTHORITY"}),
    # PiTstop panel members: education, health, housing, youth justice, early help, DA services.
    "PitstopContributionAdded": ALL_AGENCY_KINDS,
    "PitstopDecisionRecorded": frozenset({"POLICE"}),
    "ConcernRaised": _EDUCATION,
    # The local authority keeps the elective home education register.
    "PupilEnrolled": _EDUCATION | {"LOCAL_AUTHORITY"},
    "PupilLeft": _EDUCATION | {"LOCAL_AUTHORITY"},
    "VisitRecorded": frozenset({"HEALTH"}),
    "PersonRegistered": _IDENTIFIER_HOLDERS,
    "ConsentGiven": _EARLY_HELP,
    "ConsentWithdrawn": _EARLY_HELP,
    "EarlyHelpAssessmentStarted": _EARLY_HELP,
    "EarlyHelpAssessmentClosed": _EARLY_HELP,
    "ChildProtectionPlanStarted": frozenset({"SOCIAL_CARE"}),
    "ChildProtectionPlanEnded": frozenset({"SOCIAL_CARE"}),
    "LookedAfterStarted": frozenset({"SOCIAL_CARE"}),
    "LookedAfterEnded": frozenset({"SOCIAL_CARE"}),
    "SteppedUp": frozenset({"SOCIAL_CARE"}),
    "SteppedDown": frozenset({"SOCIAL_CARE"}),
    # Any publisher corrects or retracts its own entries; that the corrector owns the
    # original is checked where the original is known (the chronology), not here.
    "EntryCorrected": ALL_AGENCY_KINDS,
    "EntryRetracted": ALL_AGENCY_KINDS,
    # Curating a printed chronology is the lead practitioner's: social care, or early help.
    "EntryCurated": frozenset({"SOCIAL_CARE"}) | _EARLY_HELP,
    # Identity decisions answer the hub's review queue: the children's social care front door.
    # (SubjectsResolved, IdentityReviewRequested and RecordsRekeyed are hub-derived: no agency
    # may publish them, so they have no entry here.)
    # (SubjectErased is hub-derived too, by `hub erase` / `hub retention run`: no entry.)
    "PersonsLinked": frozenset({"SOCIAL_CARE"}),
    "PersonsUnlinked": frozenset({"SOCIAL_CARE"}),
}


def may_publish(agency_kind: str, event_type: str) -> bool:
    """True when an agency of this kind may publish this event type (unknown types: never)."""
    return agency_kind in PUBLISHING_RIGHTS.get(event_type, frozenset())


def validate_event(
    event_type: str,
    record: Mapping[str, Any],
    *,
    now: datetime,
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> list[FieldProblem]:
    """Every problem Avro cannot see in a decoded (or ``from_json``) record; empty when valid.

    Publishing rights are separate (``may_publish``): the gateway answers them with 403,
    not 422.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    problems: list[FieldProblem] = []
    if record.get("event_type") != event_type:
        problems.append(FieldProblem("event_type", f"must be {event_type}, the schema's name"))
    problems += _times(record, now, clock_skew)
    problems += _subjects(record)
    problems += _identifiers(record, today=(now + clock_skew).astimezone(_LONDON).date())
    rule = _EVENT_RULES.get(event_type)
    if rule is not None:
        problems += rule(record)
    problems += _withheld(record)
    return problems


def _withheld(record: Mapping[str, Any]) -> list[FieldProblem]:
    """A practitioner's decision to withhold must say why and who (a role) decided."""
    withheld = record.get("withheld")
    if not isinstance(withheld, Mapping):
        return []
    return [
        FieldProblem(f"withheld.{field}", "must not be blank")
        for field in ("reason", "decided_by_role")
        if not str(withheld.get(field) or "").strip()
    ]


def _times(record: Mapping[str, Any], now: datetime, skew: timedelta) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    moments: dict[str, datetime] = {}
    for name in ("occurred_at", "recorded_at"):
        value = record.get(name)
        if not isinstance(value, datetime) or value.utcoffset() is None:
            problems.append(FieldProblem(name, "must be a timezone-aware date and time"))
            continue
        moments[name] = value
        if value > now + skew:
            problems.append(FieldProblem(name, "is in the future beyond the allowed clock skew"))
    occurred, recorded = moments.get("occurred_at"), moments.get("recorded_at")
    if occurred is not None and recorded is not None and occurred > recorded + skew:
        problems.append(FieldProblem("occurred_at", "is after recorded_at"))
    return problems


def _subjects(record: Mapping[str, Any]) -> list[FieldProblem]:
    subjects = record.get("subjects") or []
    if not subjects and record.get("event_type") not in _SUBJECTLESS:
        # Every event belongs in somebody's chronology.
        return [FieldProblem("subjects", "at least one subject is required")]
    return [
        FieldProblem(f"subjects[{i}]", "a child needs at least one identifier")
        for i, subject in enumerate(subjects)
        if subject.get("role") == "CHILD" and not any(subject.get(k) for k in _IDENTIFIER_FIELDS)
    ]


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, field name, value) for every field in a nested record."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            here = f"{path}.{key}" if path else str(key)
            yield here, str(key), inner
            yield from _walk(inner, here)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _walk(inner, f"{path}[{i}]")


def _identifiers(record: Mapping[str, Any], *, today: date) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for path, name, value in _walk(record):
        if value is None:
            continue
        if name == "nhs_number" and not is_valid_nhs_number(str(value)):
            problems.append(FieldProblem(path, "is not a valid NHS number (modulus 11 check)"))
        elif name == "upn" and not is_valid_upn(str(value)):
            problems.append(FieldProblem(path, "is not a valid UPN (check letter)"))
        elif name == "postcode" and normalise_postcode(str(value)) is None:
            problems.append(FieldProblem(path, "is not a UK postcode"))
        elif name in ("school_urn", "destination_urn") and not _URN.match(str(value)):
            problems.append(FieldProblem(path, "is not a URN (six digits, or EY and six digits)"))
        elif name.endswith("date_of_birth") and isinstance(value, date) and value > today:
            problems.append(FieldProblem(path, "is in the future"))
    return problems


def _incident(record: Mapping[str, Any]) -> list[FieldProblem]:
    subjects = record.get("subjects") or []
    problems: list[FieldProblem] = []
    seen: set[int] = set()
    for i, child in enumerate(record.get("children") or []):
        index = child.get("subject_index")
        path = f"children[{i}].subject_index"
        if not isinstance(index, int) or not 0 <= index < len(subjects):
            problems.append(FieldProblem(path, "points at no subject"))
        elif subjects[index].get("role") != "CHILD":
            problems.append(FieldProblem(path, "must point at a subject with role CHILD"))
        elif index in seen:
            problems.append(FieldProblem(path, "links the same child twice"))
        else:
            seen.add(index)
    return problems


def _eighteenth_birthday(born: date) -> date:
    if (born.month, born.day) == (2, 29):
        return date(born.year + 18, 3, 1)  # a leap-day child turns 18 on 1 March
    return born.replace(year=born.year + 18)


def _encompass(record: Mapping[str, Any]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    children = [s for s in record.get("subjects") or [] if s.get("role") == "CHILD"]
    if len(children) != 1:
        problems.append(
            FieldProblem("subjects", "must hold exactly one CHILD: the child notified about")
        )
    born, incident = record.get("child_date_of_birth"), record.get("incident_at")
    if (
        isinstance(born, date)
        and isinstance(incident, datetime)
        and incident.utcoffset() is not None
    ):
        on_the_day = incident.astimezone(_LONDON).date()
        if on_the_day >= _eighteenth_birthday(born):
            problems.append(
                FieldProblem("child_date_of_birth", "Operation Encompass is for under-18s")
            )
    return problems


def _referral(record: Mapping[str, Any]) -> list[FieldProblem]:
    if record.get("destination") == "HEALTH_SERVICE" and not record.get("service_name"):
        return [FieldProblem("service_name", "is required for a HEALTH_SERVICE referral")]
    return []


def _referral_outcome(record: Mapping[str, Any]) -> list[FieldProblem]:
    outcome = record.get("outcome")
    if outcome == "REJECTED" and not record.get("reason"):
        return [FieldProblem("reason", "is required when a referral is rejected")]
    if outcome == "PASSED_TO_ANOTHER_AGENCY" and not record.get("passed_to_agency_id"):
        return [FieldProblem("passed_to_agency_id", "is required when passed to another agency")]
    return []


def _triage(record: Mapping[str, Any]) -> list[FieldProblem]:
    if record.get("rerating") and not str(record.get("rationale") or "").strip():
        return [FieldProblem("rationale", "a re-rating must give its rationale")]
    return []


def _pitstop_decision(record: Mapping[str, Any]) -> list[FieldProblem]:
    if record.get("decision") == "SUPPORT_OFFERED" and not record.get("support_by_agency_id"):
        return [FieldProblem("support_by_agency_id", "support offered must name the agency")]
    return []


def _enrolment(record: Mapping[str, Any]) -> list[FieldProblem]:
    home_educated = record.get("setting_kind") == "ELECTIVE_HOME_EDUCATION"
    if not home_educated and not record.get("school_urn"):
        return [FieldProblem("school_urn", "is required unless electively home educated")]
    return []


def _person(record: Mapping[str, Any]) -> list[FieldProblem]:
    if not any(record.get(k) for k in _IDENTIFIER_FIELDS):
        return [FieldProblem("nhs_number", "a person needs at least one identifier")]
    return []


def _step(upwards: bool) -> Callable[[Mapping[str, Any]], list[FieldProblem]]:
    def rule(record: Mapping[str, Any]) -> list[FieldProblem]:
        low, high = record.get("from_level"), record.get("to_level")
        if low not in _LEVELS or high not in _LEVELS:
            return []  # Avro's enum already rejects other symbols
        rises = _LEVELS.index(high) > _LEVELS.index(low)
        falls = _LEVELS.index(high) < _LEVELS.index(low)
        if (upwards and not rises) or (not upwards and not falls):
            direction = "above" if upwards else "below"
            return [FieldProblem("to_level", f"must be {direction} from_level")]
        return []

    return rule


def _supersedes(field: str) -> Callable[[Mapping[str, Any]], list[FieldProblem]]:
    def rule(record: Mapping[str, Any]) -> list[FieldProblem]:
        if record.get(field) is not None and str(record.get(field)) == str(record.get("event_id")):
            return [FieldProblem(field, "must name another event, not this one")]
        return []

    return rule


def _curation(record: Mapping[str, Any]) -> list[FieldProblem]:
    problems = _supersedes("curates_event_id")(record)
    for field in ("reason", "curated_by_role"):
        if not str(record.get(field) or "").strip():
            problems.append(FieldProblem(field, "must not be blank"))
    return problems


def _identity_decision(record: Mapping[str, Any]) -> list[FieldProblem]:
    ids = record.get("child_ids") or []
    if len(ids) != 2 or not all(isinstance(i, str) and i.strip() for i in ids):
        return [FieldProblem("child_ids", "must name exactly two hub child ids")]
    if ids[0] == ids[1]:
        return [FieldProblem("child_ids", "must name two different child ids")]
    return []


_EVENT_RULES: Final[Mapping[str, Callable[[Mapping[str, Any]], list[FieldProblem]]]] = {
    "IncidentRecorded": _incident,
    "EncompassNotificationRequested": _encompass,
    "ReferralMade": _referral,
    "ReferralOutcomeRecorded": _referral_outcome,
    "ReferralTriaged": _triage,
    "PitstopDecisionRecorded": _pitstop_decision,
    "PupilEnrolled": _enrolment,
    "PupilLeft": _enrolment,
    "PersonRegistered": _person,
    "SteppedUp": _step(upwards=True),
    "SteppedDown": _step(upwards=False),
    "EntryCorrected": _supersedes("corrects_event_id"),
    "EntryRetracted": _supersedes("retracts_event_id"),
    "EntryCurated": _curation,
    "PersonsLinked": _identity_decision,
    "PersonsUnlinked": _identity_decision,
}

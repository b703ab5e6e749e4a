"""One valid sample record per event type, with synthetic people only.

NHS numbers start 999 (reserved for testing) and pass the modulus-11 check; UPNs carry a
correct check letter; names are invented; postcodes are in Stockton-on-Tees (TS18).
Every sample is valid at ``SAMPLE_NOW``. Other test suites may import these.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime
from typing import Any

SAMPLE_NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
OCCURRED_AT = datetime(2026, 11, 20, 21, 40, 15, 123456, tzinfo=UTC)
RECORDED_AT = datetime(2026, 11, 20, 22, 5, tzinfo=UTC)

CHILD_NHS = "9990000018"
SIBLING_NHS = "9990000085"
ADULT_NHS = "9990000158"
CHILD_UPN = "K808001001001"
SIBLING_UPN = "Y808001001011"
SCHOOL_URN = "123456"


def _id(name: str) -> uuid.UUID:
    # Stable ids so samples (and the golden vectors built from them) never drift.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://hub.example/sample/{name}")


def _source(agency_kind: str, agency_id: str, system: str, role: str | None) -> dict[str, Any]:
    return {
        "agency_id": agency_id,
        "agency_kind": agency_kind,
        "system": system,
        "practitioner_role": role,
    }


def subject(role: str = "CHILD", **identifiers: str | None) -> dict[str, Any]:
    """A subject reference; identifiers not given are null."""
    ref: dict[str, Any] = dict.fromkeys(("nhs_number", "upn", "police_person_ref", "la_child_id"))
    ref.update(identifiers)
    ref["role"] = role
    return ref


_POLICE = _source("POLICE", "cleveland-police", "Niche RMS", "Public Protection officer")
_SCHOOL = _source("SCHOOL", f"urn-{SCHOOL_URN}", "CPOMS", "Designated Safeguarding Lead")
_HEALTH = _source("HEALTH", "north-tees-0-19", "SystmOne", "Health visitor")
_SOCIAL_CARE = _source("SOCIAL_CARE", "stockton-childrens-hub", "Mosaic", "Team manager")
_EARLY_HELP = _source("EARLY_HELP", "stockton-family-hub", "EHM", "Family Hub worker")

_CHILD = subject("CHILD", nhs_number=CHILD_NHS, upn=CHILD_UPN, police_person_ref="PP-100234")
_SIBLING = subject("CHILD", nhs_number=SIBLING_NHS, upn=SIBLING_UPN, police_person_ref="PP-100235")
_ADULT = subject("PARENT_CARER", nhs_number=ADULT_NHS, police_person_ref="PP-100236")

_INCIDENT_PLACE = {"address": "12 Example Street, Stockton-on-Tees", "postcode": "TS18 1AA"}


def _linked_child(index: int, given: str, born: date, *, present: bool) -> dict[str, Any]:
    return {
        "subject_index": index,
        "given_name": given,
        "family_name": "Testington",
        "date_of_birth": born,
        "present": present,
        "where_present": "upstairs bedroom" if present else None,
        "spoken_to": present,
        "voice_of_child": "Said they heard shouting and hid" if present else None,
    }


_PAYLOADS: dict[str, tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]] = {
    "IncidentRecorded": (
        _POLICE,
        [_CHILD, _SIBLING, _ADULT],
        {
            "police_reference": "CLE-20261120-0042",
            "domestic_abuse": True,
            "risk_level": "MEDIUM",
            "location": _INCIDENT_PLACE,
            "children": [
                _linked_child(0, "Ava", date(2017, 3, 14), present=True),
                _linked_child(1, "Noah", date(2020, 9, 2), present=False),
            ],
            "pregnancy_noted": False,
            "circumstances": "Verbal argument between adults; no injuries; officers attended.",
            "withheld": None,
        },
    ),
    "EncompassNotificationRequested": (
        _POLICE,
        [_CHILD],
        {
            "police_reference": "CLE-20261120-0042",
            "school_urn": SCHOOL_URN,
            "child_given_name": "Ava",
            "child_family_name": "Testington",
            "child_date_of_birth": date(2017, 3, 14),
            "incident_at": OCCURRED_AT,
            "incident_location": _INCIDENT_PLACE,
            "present": True,
            "where_present": "upstairs bedroom",
            "spoken_to": True,
            "voice_of_child": "Said they heard shouting and hid",
            "circumstances": "Verbal argument between adults; no injuries.",
        },
    ),
    "ReferralMade": (
        _HEALTH,
        [_CHILD],
        {
            "referral_id": "REF-HV-2026-0193",
            "destination": "HEALTH_SERVICE",
            "service_name": "Speech and language therapy",
            "category": "speech and language delay",
            "risk_level": None,
            "summary": "Limited expressive language at review; parent agrees to referral.",
            "withheld": None,
        },
    ),
    "ReferralOutcomeRecorded": (
        _SOCIAL_CARE,
        [_CHILD],
        {
            "referral_id": "REF-SCH-2026-0077",
            "outcome": "PASSED_TO_ANOTHER_AGENCY",
            "reason": "Below threshold; early help offered.",
            "passed_to_agency_id": "stockton-family-hub",
        },
    ),
    "ConcernRaised": (
        _SCHOOL,
        [_CHILD],
        {
            "concern_id": "CPOMS-88231",
            "category": "neglect",
            "summary": "Arrived without a coat for the third day; said there was no breakfast.",
            "action_taken": "Breakfast club place offered; DSL spoke to parent.",
            "restricted_categories": [],
            "withheld": None,
        },
    ),
    "PupilEnrolled": (
        _SCHOOL,
        [_CHILD],
        {
            "school_urn": SCHOOL_URN,
            "upn": CHILD_UPN,
            "setting_kind": "SCHOOL",
            "start_date": date(2026, 9, 3),
        },
    ),
    "PupilLeft": (
        _SCHOOL,
        [_CHILD],
        {
            "school_urn": SCHOOL_URN,
            "upn": CHILD_UPN,
            "setting_kind": "SCHOOL",
            "leave_date": date(2026, 11, 19),
            "destination_urn": "654321",
            "reason": "moved area",
        },
    ),
    "VisitRecorded": (
        _HEALTH,
        [_SIBLING, _ADULT],
        {
            "visit_id": "S1-CONTACT-551902",
            "practitioner": "HEALTH_VISITOR",
            "summary": "2-year review; development on track; home conditions cluttered.",
            "concerns": True,
            "restricted_categories": ["MENTAL_HEALTH_DETAIL"],
            "withheld": None,
        },
    ),
    "PersonRegistered": (
        _SCHOOL,
        [_CHILD],
        {
            "nhs_number": CHILD_NHS,
            "upn": CHILD_UPN,
            "police_person_ref": None,
            "la_child_id": None,
            "given_name": "Ava",
            "family_name": "Testington",
            "date_of_birth": date(2017, 3, 14),
            "postcode": "TS18 1AA",
        },
    ),
    "ConsentGiven": (
        _EARLY_HELP,
        [_CHILD, _ADULT],
        {"consent_id": "CONSENT-3001", "scope": "EARLY_HELP_SHARING", "given_by": "mother"},
    ),
    "ConsentWithdrawn": (
        _EARLY_HELP,
        [_CHILD, _ADULT],
        {
            "consent_id": "CONSENT-3001",
            "scope": "EARLY_HELP_SHARING",
            "withdrawn_by": "mother",
            "reason": None,
        },
    ),
    "EarlyHelpAssessmentStarted": (
        _EARLY_HELP,
        [_CHILD],
        {
            "assessment_id": "EHA-2026-411",
            "lead_practitioner": "Sam Example, Family Hub worker",
            "lead_agency_id": "stockton-family-hub",
            "reason": "Parenting support after school attendance concerns.",
            "consent_id": "CONSENT-3001",
            "primary_need": "EDUCATION",
        },
    ),
    "EarlyHelpAssessmentClosed": (
        _EARLY_HELP,
        [_CHILD],
        {
            "assessment_id": "EHA-2026-411",
            "closure_reason": "OUTCOMES_ACHIEVED",
            "closure_summary": "Attendance above 95% for a term.",
        },
    ),
    "ChildProtectionPlanStarted": (
        _SOCIAL_CARE,
        [_CHILD],
        {"plan_id": "CPP-5521", "category": "NEGLECT", "responsible_team_id": "stockton-cin-2"},
    ),
    "ChildProtectionPlanEnded": (
        _SOCIAL_CARE,
        [_CHILD],
        {
            "plan_id": "CPP-5521",
            "responsible_team_id": "stockton-cin-2",
            "reason": "step down to child in need",
        },
    ),
    "LookedAfterStarted": (
        _SOCIAL_CARE,
        [_CHILD],
        {
            "period_id": "LAC-901",
            "legal_status": "section 20 accommodation",
            "responsible_team_id": "stockton-cla-1",
        },
    ),
    "LookedAfterEnded": (
        _SOCIAL_CARE,
        [_CHILD],
        {
            "period_id": "LAC-901",
            "responsible_team_id": "stockton-cla-1",
            "reason": "returned home",
        },
    ),
    "SteppedUp": (
        _SOCIAL_CARE,
        [_CHILD],
        {
            "case_id": "CASE-7710",
            "from_level": "COMPLEX",
            "to_level": "SPECIALIST",
            "rationale": "Escalating neglect despite early help plan.",
        },
    ),
    "SteppedDown": (
        _SOCIAL_CARE,
        [_CHILD],
        {
            "case_id": "CASE-7710",
            "from_level": "SPECIALIST",
            "to_level": "TARGETED",
            "rationale": "Plan outcomes met; family agrees to early help.",
        },
    ),
    "EntryCorrected": (
        _SCHOOL,
        [_CHILD],
        {
            "corrects_event_id": _id("ConcernRaised"),
            "corrected_fields": ["summary"],
            "correction_summary": "Arrived without a coat on two days, not three.",
            "reason": "Typing error",
            "corrected_by": "Jo Sample, DSL",
        },
    ),
    "EntryRetracted": (
        _SCHOOL,
        [_CHILD],
        {
            "retracts_event_id": _id("ConcernRaised"),
            "reason": "entered in error: wrong child",
            "retracted_by": "Jo Sample, DSL",
        },
    ),
    # A lead practitioner leaves the concern out of a conference's printed chronology.
    "EntryCurated": (
        _SOCIAL_CARE,
        [_CHILD],
        {
            "curates_event_id": _id("ConcernRaised"),
            "included": False,
            "reason": "Not relevant to the question before the conference.",
            "curated_by_role": "Social worker (child protection)",
        },
    ),
    # Referral follow-ups name the referral by referral_id, not the child.
    "ReferralAcknowledged": (
        _SOCIAL_CARE,
        [],
        {"referral_id": "REF-2026-00042", "acknowledged_by_role": "Team manager"},
    ),
    "ReferralTriaged": (
        _SOCIAL_CARE,
        [],
        {
            "referral_id": "REF-2026-00042",
            "rag": "AMBER",
            "rerating": True,
            "rationale": "School reports a second disclosure today: raised from green.",
            "rated_by_role": "Team manager",
        },
    ),
    "PitstopContributionAdded": (
        _SCHOOL,
        [],
        {
            "referral_id": "REF-2026-00043",
            "contribution": "Attendance fell to 82% this half term; two late arrivals this week.",
            "contributed_by_role": "Designated Safeguarding Lead",
        },
    ),
    "PitstopDecisionRecorded": (
        _source("POLICE", "cleveland-police-pitstop", "Niche RMS", "PiTstop chair"),
        [],
        {
            "referral_id": "REF-2026-00043",
            "decision": "SUPPORT_OFFERED",
            "support_by_agency_id": "stockton-family-hub",
            "rationale": "Below threshold; the Family Hub will offer support to the family.",
        },
    ),
    # A front-door practitioner resolving an identity review: the ids are hub record ids.
    "PersonsLinked": (
        _SOCIAL_CARE,
        [],
        {
            "review_id": _id("IdentityReviewRequested"),
            "child_ids": [str(_id("record-a")), str(_id("record-b"))],
            "linked_by": "Sam Example, Children's Hub",
            "reason": "Same child: school and health records confirmed by the family.",
        },
    ),
    "PersonsUnlinked": (
        _SOCIAL_CARE,
        [],
        {
            "review_id": None,
            "child_ids": [str(_id("record-a")), str(_id("record-b"))],
            "unlinked_by": "Sam Example, Children's Hub",
            "reason": "Twins: linked in error.",
        },
    ),
}

LAWFUL_BASIS = {"POLICE": "DPA_PART_3_LAW_ENFORCEMENT", "EARLY_HELP": "UK_GDPR_CONSENT"}

SAMPLE_EVENT_TYPES: tuple[str, ...] = tuple(sorted(_PAYLOADS))


def sample_event(event_type: str) -> dict[str, Any]:
    """A fresh, valid record of this event type (safe to mutate)."""
    source, subjects, payload = _PAYLOADS[event_type]
    record: dict[str, Any] = {
        "event_id": _id(event_type),
        "event_type": event_type,
        "occurred_at": OCCURRED_AT,
        "recorded_at": RECORDED_AT,
        "source": source,
        "subjects": subjects,
        "lawful_basis": LAWFUL_BASIS.get(source["agency_kind"], "UK_GDPR_PUBLIC_TASK"),
        **payload,
    }
    return copy.deepcopy(record)

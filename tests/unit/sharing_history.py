"""The issue's scripted history for one child, shared by the sharing stage's unit and
integration tests: enrolment, consent given (and the early help assessment it allows), concern,
incident (police record it and request the Encompass notification), consent withdrawn, concern,
incident."""

from __future__ import annotations

import copy
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from tests.unit.event_samples import sample_event, subject

SCHOOL_URN = "123456"
SCHOOL_DSL = f"school:{SCHOOL_URN}:dsl"
LEAD_AGENCY = "stockton-family-hub"
LEAD_PRACTITIONER = f"{LEAD_AGENCY}:lead_practitioner"


def _event(event_type: str, child: dict[str, Any], at: datetime, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(sample_event(event_type))
    record |= {
        "event_id": uuid.uuid4(),
        "occurred_at": at,
        "recorded_at": at + timedelta(minutes=5),
        "subjects": [child],
        **changes,
    }
    return record


def scripted_history(nhs_number: str, start: datetime, tag: str) -> list[dict[str, Any]]:
    """The records, in publication order, an hour apart from `start` (timezone-aware)."""
    child = subject("CHILD", nhs_number=nhs_number)
    at = [start + timedelta(hours=h) for h in range(10)]
    linked = copy.deepcopy(sample_event("IncidentRecorded")["children"][0]) | {"subject_index": 0}

    def incident(n: int, when: datetime) -> list[dict[str, Any]]:
        ref = f"CLE-{tag}-{n}"
        return [
            _event("IncidentRecorded", child, when, police_reference=ref, children=[linked]),
            _event(
                "EncompassNotificationRequested",
                child,
                when + timedelta(minutes=1),
                police_reference=ref,
                incident_at=when,
                school_urn=SCHOOL_URN,
            ),
        ]

    return [
        _event(
            "PupilEnrolled",
            child,
            at[0],
            school_urn=SCHOOL_URN,
            upn=None,
            start_date=date.fromordinal(start.date().toordinal() - 30),
        ),
        _event("ConsentGiven", child, at[1], consent_id=f"CONSENT-{tag}"),
        _event(
            "EarlyHelpAssessmentStarted",
            child,
            at[2],
            assessment_id=f"EHA-{tag}",
            lead_agency_id=LEAD_AGENCY,
            consent_id=f"CONSENT-{tag}",
        ),
        _event("ConcernRaised", child, at[3], concern_id=f"CPOMS-{tag}-1"),
        *incident(1, at[4]),
        _event("ConsentWithdrawn", child, at[5], consent_id=f"CONSENT-{tag}"),
        _event("ConcernRaised", child, at[6], concern_id=f"CPOMS-{tag}-2"),
        *incident(2, at[7]),
    ]


HEALTH_VISITOR = "north-tees-0-19:health_visitor"
WITHHOLDING = {
    "reason": "Mother disclosed a new partner's threats; telling the school now would put the "
    "child at greater risk.",
    "decided_by_role": "Health visitor",
    "from_roles": ["SCHOOL_DSL", "EARLY_HELP_LEAD_PRACTITIONER"],
    "from_recipients": [],
}


def amended_history(nhs_number: str, start: datetime, tag: str) -> list[dict[str, Any]]:
    """The scripted history plus what a practitioner does to it: before the withdrawal a health
    visit withheld from the school and the lead practitioner, and a correction of the first
    concern; after it, retractions of the first concern and of the first incident."""
    base = scripted_history(nhs_number, start, tag)
    child = base[0]["subjects"][0]
    concern, incident = base[3], base[4]
    at = start + timedelta(hours=4, minutes=20)
    visit = _event(
        "VisitRecorded",
        child,
        at,
        visit_id=f"VISIT-{tag}",
        restricted_categories=[],
        withheld=dict(WITHHOLDING),
    )
    correction = _event(
        "EntryCorrected",
        child,
        at + timedelta(minutes=10),
        source=copy.deepcopy(concern["source"]),
        corrects_event_id=concern["event_id"],
    )
    end = start + timedelta(hours=8)
    retract_concern = _event(
        "EntryRetracted",
        child,
        end,
        source=copy.deepcopy(concern["source"]),
        retracts_event_id=concern["event_id"],
    )
    retract_incident = _event(
        "EntryRetracted",
        child,
        end + timedelta(minutes=10),
        source=copy.deepcopy(incident["source"]),
        retracts_event_id=incident["event_id"],
        retracted_by="Public Protection officer, Cleveland Police",
    )
    withdrawal = next(i for i, r in enumerate(base) if r["event_type"] == "ConsentWithdrawn")
    return [
        *base[:withdrawal],
        visit,
        correction,
        *base[withdrawal:],
        retract_concern,
        retract_incident,
    ]

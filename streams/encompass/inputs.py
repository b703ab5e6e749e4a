"""From decoded spine records to the Encompass domain's shapes (pure).

A spine message is one child of one accepted event; ``subject_index`` says which subject it is.
The child key throughout is the hub record id (stable: the spine's key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from streams.encompass.model import IncidentFacts, LinkedChild
from streams.encompass.routing import (
    EncompassNotificationRequested,
    EnrolmentEvent,
    EnrolmentHistory,
    PupilEnrolled,
    PupilLeft,
    apply_enrolment,
)

ENROLMENT_TYPES = frozenset({"PupilEnrolled", "PupilLeft"})
NOTIFYING_TYPES = frozenset({"IncidentRecorded", "EncompassNotificationRequested"})
_EHE = "ELECTIVE_HOME_EDUCATION"


def _name(given: str | None, family: str | None) -> str:
    return " ".join(p for p in (given, family) if p) or "name not known"


def incident_facts(
    record: Mapping[str, Any], *, subject_index: int, record_id: str, local_authority: str
) -> tuple[IncidentFacts, LinkedChild] | None:
    """The incident and the one linked child this spine message is about; None if the subject
    is not a linked child of a domestic abuse incident."""
    if not record["domestic_abuse"]:
        return None
    linked = [c for c in record["children"] if c["subject_index"] == subject_index]
    if not linked:
        return None
    c = linked[0]
    child = LinkedChild(
        child_key=record_id,
        name=_name(c.get("given_name"), c.get("family_name")),
        date_of_birth=c["date_of_birth"],
        present=bool(c["present"]),
        whereabouts=c.get("where_present"),
        spoken_to=bool(c["spoken_to"]),
        voice=c.get("voice_of_child"),
    )
    facts = IncidentFacts(
        police_reference=record["police_reference"],
        occurred_at=record["occurred_at"],
        recorded_at=record["recorded_at"],
        place=record["location"]["address"],
        circumstances=record["circumstances"],
        local_authority=local_authority,
        domestic_abuse=True,
        pregnancy_noted=bool(record["pregnancy_noted"]),
        children=(child,),
    )
    return facts, child


def request_facts(
    record: Mapping[str, Any], *, record_id: str, local_authority: str
) -> EncompassNotificationRequested:
    """A police-addressed notification (its single CHILD subject is this record)."""
    child = LinkedChild(
        child_key=record_id,
        name=_name(record.get("child_given_name"), record.get("child_family_name")),
        date_of_birth=record["child_date_of_birth"],
        present=bool(record["present"]),
        whereabouts=record.get("where_present"),
        spoken_to=bool(record["spoken_to"]),
        voice=record.get("voice_of_child"),
    )
    incident = IncidentFacts(
        police_reference=record["police_reference"],
        occurred_at=record["incident_at"],
        recorded_at=record["recorded_at"],
        place=record["incident_location"]["address"],
        circumstances=record["circumstances"],
        local_authority=local_authority,
        children=(child,),
    )
    return EncompassNotificationRequested(
        incident=incident, child=child, named_urn=record.get("school_urn")
    )


def enrolment_event(event_type: str, record: Mapping[str, Any], record_id: str) -> EnrolmentEvent:
    """PupilEnrolled / PupilLeft as the routing fold's events (home education: no URN)."""
    ehe = record["setting_kind"] == _EHE
    urn = None if ehe else record.get("school_urn")
    if event_type == "PupilEnrolled":
        return PupilEnrolled(child_key=record_id, urn=urn, enrolled_on=record["start_date"])
    reason = (record.get("reason") or "").lower()
    return PupilLeft(
        child_key=record_id,
        urn=urn,
        left_on=record["leave_date"],
        elective_home_education="home education" in reason,
    )


# --- The enrolment table's value: ids, URNs and dates only -----------------------------------


def history_to_json(history: EnrolmentHistory) -> str:
    """A child's enrolment history as the table stores it."""
    facts = [
        {"e": "enrolled", "urn": e.urn, "on": e.enrolled_on.isoformat()}
        for e in sorted(history.enrolled, key=lambda e: (e.enrolled_on, e.urn or ""))
    ] + [
        {
            "e": "left",
            "urn": lv.urn,
            "on": lv.left_on.isoformat(),
            "ehe": lv.elective_home_education,
        }
        for lv in sorted(history.left, key=lambda lv: (lv.left_on, lv.urn or ""))
    ]
    return json.dumps(facts, separators=(",", ":"))


def history_from_json(record_id: str, text: str | None) -> EnrolmentHistory:
    """The inverse of history_to_json (None or empty: nothing known)."""
    history = EnrolmentHistory(child_key=record_id)
    for fact in json.loads(text) if text else ():
        on = date.fromisoformat(fact["on"])
        event: EnrolmentEvent = (
            PupilEnrolled(child_key=record_id, urn=fact["urn"], enrolled_on=on)
            if fact["e"] == "enrolled"
            else PupilLeft(
                child_key=record_id,
                urn=fact["urn"],
                left_on=on,
                elective_home_education=bool(fact.get("ehe")),
            )
        )
        history = apply_enrolment(history, event)
    return history

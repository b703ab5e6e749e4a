"""Validation rules Avro cannot express, each test named as the rule it checks."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from schemas.catalogue import catalogue
from schemas.validation import DEFAULT_CLOCK_SKEW, PUBLISHING_RIGHTS, may_publish, validate_event
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, SAMPLE_NOW, sample_event


def problems(event_type: str, record: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    kwargs.setdefault("now", SAMPLE_NOW)
    return dict(validate_event(event_type, record, **kwargs))


@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_every_sample_event_is_valid(event_type: str) -> None:
    assert problems(event_type, sample_event(event_type)) == {}


# Identifiers


def test_an_nhs_number_must_pass_the_modulus_11_check() -> None:
    record = sample_event("ConcernRaised")
    record["subjects"][0]["nhs_number"] = "9990000019"
    assert problems("ConcernRaised", record) == {
        "subjects[0].nhs_number": "is not a valid NHS number (modulus 11 check)"
    }


def test_an_nhs_number_is_checked_wherever_it_appears() -> None:
    record = sample_event("PersonRegistered")
    record["nhs_number"] = "999000001"
    assert "nhs_number" in problems("PersonRegistered", record)


def test_a_upn_must_start_with_its_check_letter() -> None:
    record = sample_event("PupilEnrolled")
    record["upn"] = "A808001001001"  # correct check letter is K
    assert problems("PupilEnrolled", record) == {"upn": "is not a valid UPN (check letter)"}


def test_a_postcode_must_have_the_shape_of_a_uk_postcode() -> None:
    record = sample_event("IncidentRecorded")
    record["location"]["postcode"] = "TS18"
    assert problems("IncidentRecorded", record) == {"location.postcode": "is not a UK postcode"}


def test_a_postcode_may_be_typed_without_the_space_or_in_lower_case() -> None:
    record = sample_event("PersonRegistered")
    record["postcode"] = "ts181aa"
    assert problems("PersonRegistered", record) == {}


def test_a_school_urn_is_six_digits_or_ey_and_six_digits() -> None:
    record = sample_event("PupilEnrolled")
    record["school_urn"] = "EY123456"
    assert problems("PupilEnrolled", record) == {}
    record["school_urn"] = "12345"
    assert "school_urn" in problems("PupilEnrolled", record)


def test_a_child_subject_needs_at_least_one_identifier() -> None:
    record = sample_event("ConcernRaised")
    record["subjects"][0].update(nhs_number=None, upn=None, police_person_ref=None)
    assert problems("ConcernRaised", record) == {
        "subjects[0]": "a child needs at least one identifier"
    }


def test_every_event_is_about_at_least_one_subject() -> None:
    record = sample_event("VisitRecorded")
    record["subjects"] = []
    assert problems("VisitRecorded", record) == {"subjects": "at least one subject is required"}


def test_a_date_of_birth_is_not_in_the_future() -> None:
    record = sample_event("IncidentRecorded")
    record["children"][0]["date_of_birth"] = date(2027, 1, 1)
    assert problems("IncidentRecorded", record) == {"children[0].date_of_birth": "is in the future"}


# Times


def test_occurred_at_may_not_be_in_the_future_beyond_clock_skew() -> None:
    record = sample_event("ConcernRaised")
    record["occurred_at"] = SAMPLE_NOW + DEFAULT_CLOCK_SKEW + timedelta(seconds=1)
    record["recorded_at"] = record["occurred_at"]
    assert problems("ConcernRaised", record) == {
        "occurred_at": "is in the future beyond the allowed clock skew",
        "recorded_at": "is in the future beyond the allowed clock skew",
    }


def test_a_source_clock_a_little_ahead_is_within_the_skew() -> None:
    record = sample_event("ConcernRaised")
    record["occurred_at"] = record["recorded_at"] = SAMPLE_NOW + timedelta(minutes=4)
    assert problems("ConcernRaised", record) == {}


def test_the_clock_skew_allowance_is_an_argument() -> None:
    record = sample_event("ConcernRaised")
    record["occurred_at"] = record["recorded_at"] = SAMPLE_NOW + timedelta(minutes=4)
    found = problems("ConcernRaised", record, clock_skew=timedelta(minutes=1))
    assert set(found) == {"occurred_at", "recorded_at"}


def test_the_current_time_is_an_argument_never_read_inside() -> None:
    record = sample_event("ConcernRaised")
    yesterday = SAMPLE_NOW - timedelta(days=1)
    assert set(problems("ConcernRaised", record, now=yesterday)) == {"occurred_at", "recorded_at"}


def test_occurred_at_may_not_be_after_recorded_at_beyond_clock_skew() -> None:
    record = sample_event("ConcernRaised")
    record["occurred_at"] = record["recorded_at"] + DEFAULT_CLOCK_SKEW + timedelta(seconds=1)
    assert problems("ConcernRaised", record) == {"occurred_at": "is after recorded_at"}


def test_a_backdated_entry_is_allowed() -> None:
    record = sample_event("ConcernRaised")
    record["occurred_at"] = record["recorded_at"] - timedelta(days=30)
    assert problems("ConcernRaised", record) == {}


def test_times_must_be_timezone_aware() -> None:
    record = sample_event("ConcernRaised")
    record["recorded_at"] = record["recorded_at"].replace(tzinfo=None)
    assert problems("ConcernRaised", record) == {
        "recorded_at": "must be a timezone-aware date and time"
    }


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_event(
            "ConcernRaised", sample_event("ConcernRaised"), now=SAMPLE_NOW.replace(tzinfo=None)
        )


# Envelope and event rules


def test_event_type_must_match_the_schema_name() -> None:
    record = sample_event("ConcernRaised")
    record["event_type"] = "IncidentRecorded"
    assert problems("ConcernRaised", record) == {
        "event_type": "must be ConcernRaised, the schema's name"
    }


def test_a_linked_child_must_point_at_a_child_subject() -> None:
    record = sample_event("IncidentRecorded")
    record["children"][0]["subject_index"] = 2  # the PARENT_CARER
    record["children"][1]["subject_index"] = 7
    assert problems("IncidentRecorded", record) == {
        "children[0].subject_index": "must point at a subject with role CHILD",
        "children[1].subject_index": "points at no subject",
    }


def test_a_child_is_linked_to_an_incident_once() -> None:
    record = sample_event("IncidentRecorded")
    record["children"][1]["subject_index"] = 0
    assert problems("IncidentRecorded", record) == {
        "children[1].subject_index": "links the same child twice"
    }


def test_an_encompass_notification_is_about_exactly_one_child() -> None:
    record = sample_event("EncompassNotificationRequested")
    record["subjects"].append(dict(record["subjects"][0]))
    assert "subjects" in problems("EncompassNotificationRequested", record)


def test_an_encompass_notification_is_for_a_child_under_18_on_the_day() -> None:
    record = sample_event("EncompassNotificationRequested")
    incident_day = record["incident_at"].date()
    record["child_date_of_birth"] = incident_day.replace(year=incident_day.year - 18)
    assert problems("EncompassNotificationRequested", record) == {
        "child_date_of_birth": "Operation Encompass is for under-18s"
    }
    record["child_date_of_birth"] += timedelta(days=1)  # 18 tomorrow: still a child today
    assert problems("EncompassNotificationRequested", record) == {}


def test_a_leap_day_child_turns_18_on_1_march() -> None:
    record = sample_event("EncompassNotificationRequested")
    record["child_date_of_birth"] = date(2008, 2, 29)
    record["incident_at"] = record["incident_at"].replace(year=2026, month=2, day=28)
    assert problems("EncompassNotificationRequested", record) == {}
    record["incident_at"] = record["incident_at"].replace(month=3, day=1)
    assert "child_date_of_birth" in problems("EncompassNotificationRequested", record)


def test_a_health_service_referral_names_the_service() -> None:
    record = sample_event("ReferralMade")
    record["service_name"] = None
    assert problems("ReferralMade", record) == {
        "service_name": "is required for a HEALTH_SERVICE referral"
    }


def test_a_rejected_referral_gives_a_reason() -> None:
    record = sample_event("ReferralOutcomeRecorded")
    record.update(outcome="REJECTED", reason=None, passed_to_agency_id=None)
    assert problems("ReferralOutcomeRecorded", record) == {
        "reason": "is required when a referral is rejected"
    }


def test_a_referral_passed_on_names_the_agency() -> None:
    record = sample_event("ReferralOutcomeRecorded")
    record["passed_to_agency_id"] = None
    assert "passed_to_agency_id" in problems("ReferralOutcomeRecorded", record)


def test_an_enrolment_names_the_school_unless_home_educated() -> None:
    record = sample_event("PupilEnrolled")
    record["school_urn"] = None
    assert "school_urn" in problems("PupilEnrolled", record)
    record["setting_kind"] = "ELECTIVE_HOME_EDUCATION"
    assert problems("PupilEnrolled", record) == {}


def test_a_registered_person_has_at_least_one_identifier() -> None:
    record = sample_event("PersonRegistered")
    record.update(nhs_number=None, upn=None, police_person_ref=None, la_child_id=None)
    assert "nhs_number" in problems("PersonRegistered", record)


def test_stepping_up_moves_to_a_higher_level_and_down_to_a_lower() -> None:
    up = sample_event("SteppedUp")
    up["to_level"] = "TARGETED"
    assert problems("SteppedUp", up) == {"to_level": "must be above from_level"}
    down = sample_event("SteppedDown")
    down["to_level"] = down["from_level"]
    assert problems("SteppedDown", down) == {"to_level": "must be below from_level"}


def test_a_correction_or_retraction_names_another_event() -> None:
    corrected = sample_event("EntryCorrected")
    corrected["corrects_event_id"] = corrected["event_id"]
    assert "corrects_event_id" in problems("EntryCorrected", corrected)
    retracted = sample_event("EntryRetracted")
    retracted["retracts_event_id"] = uuid.UUID(str(retracted["event_id"]))
    assert "retracts_event_id" in problems("EntryRetracted", retracted)


def test_problem_messages_never_repeat_the_value() -> None:
    record = sample_event("PersonRegistered")
    record["nhs_number"] = "1234567890"
    record["postcode"] = "NOT A POSTCODE"
    text = repr(validate_event("PersonRegistered", record, now=SAMPLE_NOW))
    assert "1234567890" not in text
    assert "NOT A POSTCODE" not in text


# Publishing rights


def test_only_police_publish_incidents() -> None:
    assert may_publish("POLICE", "IncidentRecorded")
    assert not may_publish("SCHOOL", "IncidentRecorded")
    assert not may_publish("HEALTH", "IncidentRecorded")


def test_a_school_raises_concerns_and_records_enrolments_but_not_social_care_decisions() -> None:
    assert may_publish("SCHOOL", "ConcernRaised")
    assert may_publish("SCHOOL", "PupilEnrolled")
    assert not may_publish("SCHOOL", "ChildProtectionPlanStarted")
    assert not may_publish("SCHOOL", "ReferralOutcomeRecorded")


def test_only_health_records_health_visits() -> None:
    assert [k for k in sorted(PUBLISHING_RIGHTS["VisitRecorded"])] == ["HEALTH"]


def test_only_social_care_starts_plans_and_steps_cases() -> None:
    for event_type in ("ChildProtectionPlanStarted", "LookedAfterEnded", "SteppedUp"):
        assert PUBLISHING_RIGHTS[event_type] == frozenset({"SOCIAL_CARE"})


def test_any_partner_may_refer() -> None:
    assert all(may_publish(kind, "ReferralMade") for kind in _agency_kinds())


def test_an_unknown_event_type_or_agency_kind_may_publish_nothing() -> None:
    assert not may_publish("POLICE", "NoSuchEvent")
    assert not may_publish("MI5", "IncidentRecorded")


def _agency_kinds() -> list[str]:
    event = catalogue().get("IncidentRecorded")
    assert event is not None
    symbols: list[str] = event.current.names["hub.common.AgencyKind"]["symbols"]
    return symbols


def test_the_rights_table_names_known_event_types_and_agency_kinds() -> None:
    # Types in the catalogue but not in the table are hub-derived: no agency may publish them.
    assert set(PUBLISHING_RIGHTS) <= set(catalogue().event_types)
    for event_type in set(catalogue().event_types) - set(PUBLISHING_RIGHTS):
        assert not any(may_publish(kind, event_type) for kind in _agency_kinds())
    for kinds in PUBLISHING_RIGHTS.values():
        assert kinds
        assert kinds <= set(_agency_kinds())


@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_every_sample_is_published_by_an_agency_allowed_to(event_type: str) -> None:
    assert may_publish(sample_event(event_type)["source"]["agency_kind"], event_type)

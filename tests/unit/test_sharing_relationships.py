"""The fold of a child's connections, and the candidate recipients it gives."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from streams.policy.consent import ChildStatus
from streams.policy.relationships import (
    Area,
    Relationships,
    apply_relationship,
    candidates,
    referrer_role,
)
from streams.policy.vocabulary import AgencyKind, Relationship, Role
from tests.unit.event_samples import sample_event

AREA = Area()
DAY = date(2026, 11, 20)


def _fold(*records: dict[str, Any]) -> Relationships:
    state = Relationships()
    for record in records:
        state = apply_relationship(state, record)
    return state


def _event(event_type: str, **changes: Any) -> dict[str, Any]:
    return copy.deepcopy(sample_event(event_type)) | changes


def _ids(
    state: Relationships,
    *,
    on: date = DAY,
    status: ChildStatus | None = None,
    answering: str | None = None,
) -> dict[str, tuple[Role, Relationship]]:
    found = candidates(state, status or ChildStatus(), AREA, on=on, answering=answering)
    return {c.recipient_id: (c.role, c.relationship) for c in found}


def test_a_child_known_to_nobody_has_the_area_duty_roles_and_the_encompass_coordinator() -> None:
    assert _ids(Relationships()) == {
        "stockton-childrens-hub:social_worker": (
            Role.FRONT_DOOR_SOCIAL_WORKER,
            Relationship.AREA_DUTY,
        ),
        "cleveland-police-mash:police": (Role.POLICE, Relationship.AREA_DUTY),
        "stockton-la-encompass:coordinator": (
            Role.LA_ENCOMPASS_COORDINATOR,
            Relationship.AREA_DUTY,
        ),
    }


def test_the_school_is_a_candidate_while_the_child_is_on_roll_and_replaces_the_coordinator() -> (
    None
):
    enrolled = _fold(_event("PupilEnrolled", start_date=date(2026, 9, 3)))
    on_roll = _ids(enrolled)
    assert on_roll["school:123456:dsl"] == (Role.SCHOOL_DSL, Relationship.CHILD_ENROLLED_AT)
    assert "stockton-la-encompass:coordinator" not in on_roll
    assert "school:123456:dsl" not in _ids(enrolled, on=date(2026, 9, 2))
    left = apply_relationship(enrolled, _event("PupilLeft", leave_date=date(2026, 11, 19)))
    assert "school:123456:dsl" in _ids(left, on=date(2026, 11, 19))
    assert "school:123456:dsl" not in _ids(left, on=DAY)


def test_an_early_years_setting_is_reached_through_its_dsl_and_home_education_has_none() -> None:
    nursery = _fold(_event("PupilEnrolled", school_urn="EY123456", setting_kind="EARLY_YEARS"))
    assert _ids(nursery)["school:EY123456:dsl"][0] is Role.EARLY_YEARS_DSL
    home = _fold(_event("PupilEnrolled", school_urn=None, setting_kind="ELECTIVE_HOME_EDUCATION"))
    assert home == Relationships()


def test_health_practitioners_who_visit_are_allocated_and_a_gp_is_registered() -> None:
    state = _fold(
        _event("VisitRecorded", practitioner="HEALTH_VISITOR"),
        _event("VisitRecorded", practitioner="GP"),
        _event("VisitRecorded", practitioner="CAMHS"),
    )
    found = _ids(state)
    assert found["north-tees-0-19:health_visitor"] == (Role.HEALTH_VISITOR, Relationship.ALLOCATED)
    assert found["north-tees-0-19:gp"] == (Role.GP, Relationship.REGISTERED_WITH)
    assert not any("camhs" in rid for rid in found)


def test_early_help_lead_and_team_around_the_family_last_from_assessment_to_closure() -> None:
    started = _fold(_event("EarlyHelpAssessmentStarted"))
    found = _ids(started)
    assert found["stockton-family-hub:lead_practitioner"] == (
        Role.EARLY_HELP_LEAD_PRACTITIONER,
        Relationship.ALLOCATED,
    )
    assert found["taf:EHA-2026-411"] == (Role.TAF_MEMBER, Relationship.TEAM_AROUND_FAMILY)
    closed = apply_relationship(started, _event("EarlyHelpAssessmentClosed"))
    assert not any(r.startswith(("taf:", "stockton-family-hub")) for r in _ids(closed))


def test_the_state_keeps_ids_only_never_the_lead_practitioners_name() -> None:
    state = _fold(_event("EarlyHelpAssessmentStarted"), _event("PupilEnrolled"))
    assert "Sam Example" not in str(state.to_json())
    assert Relationships.from_json(state.to_json()) == state


def test_the_referrer_is_a_candidate_for_the_outcome_of_its_own_referral_only() -> None:
    state = _fold(_event("ReferralMade", referral_id="R-1"))
    assert "north-tees-0-19:health_visitor" not in _ids(state)
    assert _ids(state, answering="R-1")["north-tees-0-19:health_visitor"] == (
        Role.HEALTH_VISITOR,
        Relationship.REFERRER,
    )
    assert "north-tees-0-19:health_visitor" not in _ids(state, answering="R-2")


def test_a_school_referrer_is_the_schools_dsl_and_referrer_beats_enrolment() -> None:
    school_source = sample_event("ConcernRaised")["source"]
    state = _fold(
        _event("PupilEnrolled"),
        _event("ReferralMade", referral_id="R-9", source=school_source, destination="FRONT_DOOR"),
    )
    assert _ids(state, answering="R-9")["school:123456:dsl"] == (
        Role.SCHOOL_DSL,
        Relationship.REFERRER,
    )
    assert _ids(state)["school:123456:dsl"][1] is Relationship.CHILD_ENROLLED_AT


def test_the_pitstop_panel_sees_the_case_until_its_outcome() -> None:
    referred = _fold(_event("ReferralMade", referral_id="P-1", destination="PITSTOP"))
    assert _ids(referred)["cleveland-pitstop:panel"] == (
        Role.PITSTOP_PANEL,
        Relationship.PANEL_MEMBER,
    )
    decided = apply_relationship(referred, _event("ReferralOutcomeRecorded", referral_id="P-1"))
    assert "cleveland-pitstop:panel" not in _ids(decided)


def test_the_allocated_social_care_team_comes_from_the_childs_status() -> None:
    status = ChildStatus(case_open=True, social_care_team="stockton-cin-team-2")
    assert _ids(Relationships(), status=status)["stockton-cin-team-2:social_worker"] == (
        Role.FRONT_DOOR_SOCIAL_WORKER,
        Relationship.ALLOCATED,
    )


def test_applying_an_event_twice_changes_nothing_more() -> None:
    events = [
        _event("PupilEnrolled"),
        _event("VisitRecorded"),
        _event("EarlyHelpAssessmentStarted"),
        _event("ReferralMade", destination="PITSTOP"),
    ]
    once = _fold(*events)
    assert _fold(*events, *events) == once


def test_referrer_roles_follow_the_publishing_agency() -> None:
    assert referrer_role(AgencyKind.HEALTH, "School nurse") is Role.SCHOOL_NURSE
    assert referrer_role(AgencyKind.HEALTH, "Community midwife") is Role.MIDWIFE
    assert referrer_role(AgencyKind.HEALTH, None) is Role.HEALTH_VISITOR
    assert referrer_role(AgencyKind.POLICE, None) is Role.POLICE
    assert referrer_role(AgencyKind.HOUSING, None) is Role.TAF_MEMBER

"""The decision on worked examples under the shipped agreement, and the record adapters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.policy.agreement import load_default_agreement
from streams.policy.consent import (
    ChildProtectionPlanStarted,
    ChildStatus,
    ConsentGiven,
    ConsentState,
    ConsentWithdrawn,
    SteppedDown,
    SteppedUp,
    fold,
)
from streams.policy.decision import (
    CandidateRecipient,
    NonDisclosure,
    Refusal,
    RefusalCode,
    Share,
    ShareableEvent,
    Withholding,
    decide_shares,
    visible_after_withdrawal,
)
from streams.policy.records import consent_event, shareable_event, status_event
from streams.policy.vocabulary import (
    FOLLOWS_ORIGINAL,
    AgencyKind,
    Basis,
    EventType,
    Level,
    Relationship,
    RestrictedCategory,
    Role,
)
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event

AGREEMENT = load_default_agreement()
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
SCOPE = "EARLY_HELP_SHARING"
DSL = CandidateRecipient(
    recipient_id="dsl-1",
    role=Role.SCHOOL_DSL,
    organisation_id="urn-123456",
    relationship=Relationship.CHILD_ENROLLED_AT,
)
SOCIAL_WORKER = CandidateRecipient(
    recipient_id="sw-1",
    role=Role.FRONT_DOOR_SOCIAL_WORKER,
    organisation_id="stockton-childrens-hub",
    relationship=Relationship.ALLOCATED,
)
LEAD = CandidateRecipient(
    recipient_id="ehl-1",
    role=Role.EARLY_HELP_LEAD_PRACTITIONER,
    organisation_id="family-action",
    relationship=Relationship.ALLOCATED,
)
GIVEN = fold(ConsentState(), [ConsentGiven(scope=SCOPE, by="parent-1", at=T0)])
WITHDRAWN = fold(GIVEN, [ConsentWithdrawn(scope=SCOPE, by="parent-1", at=T0.replace(hour=12))])
ON_PLAN = fold(ChildStatus(), [ChildProtectionPlanStarted(at=T0, responsible_team="north")])


def visit(*flags: RestrictedCategory) -> ShareableEvent:
    return ShareableEvent(
        event_id="visit-1",
        event_type=EventType.VISIT_RECORDED,
        category="SCHOOL_NURSE",
        source_agency=AgencyKind.HEALTH,
        restricted_categories=frozenset(flags),
        content={
            "source": {"agency_id": "nhs-trust", "agency_kind": "HEALTH"},
            "occurred_at": T0,
            "summary": "Low mood discussed",
            "subjects": ["never shared"],
        },
    )


def test_school_gets_existence_only_of_a_health_visit() -> None:
    [share] = decide_shares(visit(), GIVEN, ChildStatus(), [DSL], AGREEMENT)
    assert isinstance(share, Share)
    assert share.level is Level.EXISTENCE_ONLY
    assert share.basis is Basis.SAFEGUARDING_DPA2018_SCH1_PARA18
    assert dict(share.content) == {"source": {"agency_id": "nhs-trust", "agency_kind": "HEALTH"}}
    assert share.rule_number == 23


def test_school_gets_a_summary_once_the_child_is_on_a_plan() -> None:
    [share] = decide_shares(visit(), GIVEN, ON_PLAN, [DSL], AGREEMENT)
    assert isinstance(share, Share)
    assert share.level is Level.SUMMARY
    assert set(share.content) == {"source", "occurred_at", "summary"}


def test_mental_health_detail_falls_back_to_existence_for_the_school() -> None:
    flagged = visit(RestrictedCategory.MENTAL_HEALTH_DETAIL)
    school, social_worker = decide_shares(flagged, GIVEN, ON_PLAN, [DSL, SOCIAL_WORKER], AGREEMENT)
    assert isinstance(school, Share)
    assert school.level is Level.EXISTENCE_ONLY
    assert isinstance(social_worker, Share)  # entitled: sees it in full
    assert social_worker.level is Level.FULL


def test_sexual_health_is_refused_to_anyone_not_entitled() -> None:
    [refusal] = decide_shares(
        visit(RestrictedCategory.SEXUAL_HEALTH), GIVEN, ON_PLAN, [DSL], AGREEMENT
    )
    assert isinstance(refusal, Refusal)
    assert refusal.code is RefusalCode.RESTRICTED_CATEGORY
    assert refusal.reason == (
        "The item is flagged SEXUAL_HEALTH, which SCHOOL_DSL is not entitled to see."
    )


def test_consent_based_item_is_refused_after_withdrawal_and_leaves_the_view() -> None:
    [before] = decide_shares(visit(), GIVEN, ChildStatus(), [LEAD], AGREEMENT)
    assert isinstance(before, Share)
    assert before.basis is Basis.CONSENT
    assert before.consent_scope == SCOPE
    [after] = decide_shares(visit(), WITHDRAWN, ChildStatus(), [LEAD], AGREEMENT)
    assert isinstance(after, Refusal)
    assert after.code is RefusalCode.CONSENT_WITHDRAWN
    assert after.reason == "Shared only with consent (EARLY_HELP_SHARING), which was withdrawn."
    assert not visible_after_withdrawal(before.basis, WITHDRAWN, before.consent_scope)


def test_safeguarding_share_stays_visible_after_withdrawal() -> None:
    assert visible_after_withdrawal(Basis.SAFEGUARDING_DPA2018_SCH1_PARA18, WITHDRAWN, None)
    assert not visible_after_withdrawal(Basis.CONSENT, GIVEN, None)  # no scope: fail closed


def test_police_incident_reaches_early_help_whatever_the_consent() -> None:
    incident = ShareableEvent(
        event_id="inc-1",
        event_type=EventType.INCIDENT_RECORDED,
        category=None,
        source_agency=AgencyKind.POLICE,
        content={"police_reference": "CP/123", "circumstances": "full detail"},
    )
    [share] = decide_shares(incident, WITHDRAWN, ChildStatus(), [LEAD], AGREEMENT)
    assert isinstance(share, Share)
    assert share.basis is Basis.LAW_ENFORCEMENT_DPA2018_PART3_SCH8
    assert dict(share.content) == {"police_reference": "CP/123"}  # summary: no circumstances


def test_withholding_a_safeguarding_item_is_a_recorded_non_disclosure() -> None:
    withholding = Withholding(
        reason="Sharing now would alert the alleged abuser.",
        decided_by="sw-team-manager-3",
        recipient_ids=frozenset({"dsl-1"}),
    )
    school, social_worker = decide_shares(
        visit(), GIVEN, ON_PLAN, [DSL, SOCIAL_WORKER], AGREEMENT, withholdings=[withholding]
    )
    assert isinstance(school, NonDisclosure)
    assert school.basis is Basis.SAFEGUARDING_DPA2018_SCH1_PARA18
    assert school.reason == withholding.reason
    assert school.decided_by == "sw-team-manager-3"
    # What the school would have had on the plan, cited with the rule that gives it (another
    # rule gives existence only off the plan): a reviewer reads the level and the rule together.
    cited = next(r for r in AGREEMENT.rules if r.number == school.rule_number)
    assert (school.level, cited.level) == (Level.SUMMARY, Level.SUMMARY)
    assert isinstance(social_worker, Share)  # the withholding named only the school


def test_withholding_a_consent_based_item_is_a_plain_refusal() -> None:
    withholding = Withholding(reason="Family asked to wait a day.", decided_by="ehl-2")
    [refusal] = decide_shares(
        visit(), GIVEN, ChildStatus(), [LEAD], AGREEMENT, withholdings=[withholding]
    )
    assert isinstance(refusal, Refusal)
    assert refusal.code is RefusalCode.WITHHELD


def test_no_rule_is_a_refusal_that_says_what_was_asked() -> None:
    registered = ShareableEvent(
        event_id="p-1",
        event_type=EventType.PERSON_REGISTERED,
        category=None,
        source_agency=AgencyKind.HEALTH,
        content={"given_name": "Sam"},
    )
    [refusal] = decide_shares(registered, GIVEN, ON_PLAN, [SOCIAL_WORKER], AGREEMENT)
    assert isinstance(refusal, Refusal)
    assert refusal.code is RefusalCode.NOT_IN_AGREEMENT
    assert refusal.reason == (
        "No rule shares PersonRegistered from HEALTH with FRONT_DOOR_SOCIAL_WORKER (ALLOCATED) "
        "in the child's present situation."
    )


# ---- the record adapters, against the event contracts' own samples ----


@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_agreement_fields_exist_in_the_contracts(event_type: str) -> None:
    record = sample_event(event_type)
    event = shareable_event(record)
    assert event.event_type == event_type
    assert event.source_agency == record["source"]["agency_kind"]
    assert not {"event_id", "subjects", "lawful_basis"} & set(event.content)
    if EventType(event_type) in FOLLOWS_ORIGINAL:
        return
    for level in Level:
        missing = AGREEMENT.fields_for(EventType(event_type), level) - set(record)
        assert not missing, f"{event_type} {level} lists fields the contract lacks"


def test_category_comes_from_the_field_the_rules_narrow_by() -> None:
    referral = shareable_event(sample_event("ReferralMade"))
    assert referral.category == sample_event("ReferralMade")["destination"]
    visit_record = sample_event("VisitRecorded")
    visit_record["restricted_categories"] = ["MENTAL_HEALTH_DETAIL"]
    flagged = shareable_event(visit_record)
    assert flagged.category == visit_record["practitioner"]
    assert flagged.restricted_categories == {RestrictedCategory.MENTAL_HEALTH_DETAIL}


def test_consent_records_feed_the_consent_fold() -> None:
    given_event = consent_event(sample_event("ConsentGiven"))
    withdrawn_event = consent_event(sample_event("ConsentWithdrawn"))
    assert isinstance(given_event, ConsentGiven)
    assert isinstance(withdrawn_event, ConsentWithdrawn)
    assert consent_event(sample_event("ConcernRaised")) is None


def test_status_records_feed_the_status_fold() -> None:
    plan = status_event(sample_event("ChildProtectionPlanStarted"))
    assert isinstance(plan, ChildProtectionPlanStarted)
    up = sample_event("SteppedUp") | {"from_level": "COMPLEX", "to_level": "SPECIALIST"}
    assert isinstance(status_event(up), SteppedUp)
    within_early_help = up | {"from_level": "TARGETED", "to_level": "COMPLEX"}
    assert status_event(within_early_help) is None
    down = sample_event("SteppedDown") | {"from_level": "SPECIALIST", "to_level": "COMPLEX"}
    assert isinstance(status_event(down), SteppedDown)
    assert status_event(sample_event("ConcernRaised")) is None

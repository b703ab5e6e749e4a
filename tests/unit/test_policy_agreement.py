"""Loading the agreement: every validation problem is named, with where it is."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.policy.agreement import (
    PolicyError,
    content_hash,
    default_agreement_text,
    load_agreement,
    load_default_agreement,
    policy_adopted_event,
)
from streams.policy.vocabulary import Basis, EventType, Level, RestrictedCategory, Role

FIELDS = {
    "EXISTENCE_ONLY": ["source_agency", "contact"],
    "SUMMARY": ["source_agency", "contact", "occurred_at", "category", "summary"],
    "FULL": ["source_agency", "contact", "occurred_at", "category", "summary", "action_taken"],
}


def minimal() -> dict[str, Any]:
    """A small valid agreement; each test breaks one thing in a copy of it."""
    return {
        "version": "1.0",
        "effective_from": date(2026, 4, 1),
        "title": "Test agreement",
        "consent_scopes": {"EARLY_HELP_SHARING": "Family agreed to share within the TAF."},
        "restricted_categories": {
            "SEXUAL_HEALTH": {"roles": ["GP"], "fields": [], "not_entitled_get": "NOTHING"},
            "MENTAL_HEALTH_DETAIL": {
                "roles": ["GP"],
                "fields": ["clinical_detail"],
                "not_entitled_get": "EXISTENCE_ONLY",
            },
            "THIRD_PARTY_IDENTITY": {
                "roles": ["FRONT_DOOR_SOCIAL_WORKER"],
                "fields": ["referrer_name"],
                "not_entitled_get": "EXISTENCE_ONLY",
            },
        },
        "fields": {
            "IncidentRecorded": copy.deepcopy(FIELDS),
            "ConcernRaised": copy.deepcopy(FIELDS),
        },
        "rules": [
            {
                "event": "IncidentRecorded",
                "from": ["POLICE"],
                "to": ["FRONT_DOOR_SOCIAL_WORKER"],
                "level": "FULL",
                "basis": "LAW_ENFORCEMENT_DPA2018_PART3_SCH8",
            },
            {
                "event": "ConcernRaised",
                "to": ["TAF_MEMBER"],
                "level": "SUMMARY",
                "basis": "CONSENT",
                "consent_scope": "EARLY_HELP_SHARING",
            },
        ],
    }


def problems_of(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(PolicyError) as caught:
        load_agreement(yaml.safe_dump(data, sort_keys=False))
    return caught.value.problems


def test_minimal_agreement_loads() -> None:
    agreement = load_agreement(yaml.safe_dump(minimal()))
    assert agreement.version == "1.0"
    assert [r.number for r in agreement.rules] == [1, 2]
    assert agreement.rules[1].consent_scope == "EARLY_HELP_SHARING"
    assert agreement.fields_for(EventType.CONCERN_RAISED, Level.SUMMARY) == frozenset(
        FIELDS["SUMMARY"]
    )


def test_unknown_role_is_named_with_its_rule() -> None:
    data = minimal()
    data["rules"][1]["to"] = ["SCHOOL_DSLL"]
    assert problems_of(data) == ("rule 2 (ConcernRaised): unknown role 'SCHOOL_DSLL'",)


def test_unknown_event_type() -> None:
    data = minimal()
    data["rules"][0]["event"] = "IncidentRecordd"
    assert problems_of(data) == ("rule 1 (IncidentRecordd): unknown event type 'IncidentRecordd'",)


def test_unknown_basis() -> None:
    data = minimal()
    data["rules"][0]["basis"] = "LEGITIMATE_INTEREST"
    assert problems_of(data) == ("rule 1 (IncidentRecorded): unknown basis 'LEGITIMATE_INTEREST'",)


def test_unknown_level() -> None:
    data = minimal()
    data["rules"][0]["level"] = "EVERYTHING"
    assert problems_of(data) == ("rule 1 (IncidentRecorded): unknown level 'EVERYTHING'",)


def test_consent_rule_without_scope() -> None:
    data = minimal()
    del data["rules"][1]["consent_scope"]
    assert problems_of(data) == ("rule 2 (ConcernRaised): basis CONSENT needs a consent_scope",)


def test_consent_scope_must_be_declared() -> None:
    data = minimal()
    data["rules"][1]["consent_scope"] = "EVERYTHING"
    assert problems_of(data) == (
        "rule 2 (ConcernRaised): consent_scope 'EVERYTHING' is not declared under consent_scopes",
    )


def test_consent_scope_on_a_non_consent_rule() -> None:
    data = minimal()
    data["rules"][0]["consent_scope"] = "EARLY_HELP_SHARING"
    assert problems_of(data) == (
        "rule 1 (IncidentRecorded): consent_scope 'EARLY_HELP_SHARING' given but basis is "
        "LAW_ENFORCEMENT_DPA2018_PART3_SCH8, not CONSENT",
    )


def test_level_without_field_list() -> None:
    data = minimal()
    del data["fields"]["ConcernRaised"]["SUMMARY"]
    assert problems_of(data) == (
        "rule 2 (ConcernRaised): level SUMMARY has no field list under fields ConcernRaised",
    )


def test_levels_must_nest() -> None:
    data = minimal()
    data["fields"]["ConcernRaised"]["SUMMARY"].append("detail")
    assert problems_of(data) == (
        "fields ConcernRaised: SUMMARY field 'detail' is missing from FULL",
    )


def test_police_basis_only_for_police_disclosures() -> None:
    data = minimal()
    data["rules"][0]["from"] = ["POLICE", "SCHOOL"]
    assert problems_of(data) == (
        "rule 1 (IncidentRecorded): basis LAW_ENFORCEMENT_DPA2018_PART3_SCH8 is for police "
        "disclosures only: set from: [POLICE]",
    )


def test_sch1_basis_must_name_non_police_disclosers() -> None:
    data = minimal()
    data["rules"][1].update(basis="SAFEGUARDING_DPA2018_SCH1_PARA18")
    del data["rules"][1]["consent_scope"]
    assert problems_of(data) == (
        "rule 2 (ConcernRaised): basis SAFEGUARDING_DPA2018_SCH1_PARA18 needs from: listing the "
        "disclosing agencies, without POLICE (police disclose under "
        "LAW_ENFORCEMENT_DPA2018_PART3_SCH8)",
    )


def test_corrections_take_no_rules() -> None:
    data = minimal()
    data["fields"]["EntryCorrected"] = copy.deepcopy(FIELDS)
    data["rules"][1]["event"] = "EntryCorrected"
    assert problems_of(data) == (
        "rule 2 (EntryCorrected): EntryCorrected follows the entry it supersedes and takes no rule",
    )


def test_unknown_keys_are_typos_not_silence() -> None:
    data = minimal()
    data["rules"][0]["too"] = ["GP"]
    data["colour"] = "blue"
    data["x-abbreviations"] = ["GP"]  # "x-" keys hold YAML anchors and are allowed
    assert problems_of(data) == (
        "agreement: unknown key 'colour'",
        "rule 1 (IncidentRecorded): unknown key 'too'",
    )


def test_rule_missing_event_and_roles() -> None:
    data = minimal()
    del data["rules"][0]["event"]
    del data["rules"][0]["to"]
    assert problems_of(data) == (
        "rule 1: missing 'event' (the event type or types the rule is about)",
        "rule 1: missing 'to' (the roles that receive it)",
    )


def test_narrowing_lists_are_checked() -> None:
    data = minimal()
    data["rules"][0]["relationships"] = ["BEST_FRIEND"]
    data["rules"][0]["only_when_child_is"] = []
    assert problems_of(data) == (
        "rule 1 (IncidentRecorded) relationships: unknown relationship 'BEST_FRIEND'",
        "rule 1 (IncidentRecorded) only_when_child_is: must list at least one child condition",
    )


def test_version_must_be_a_quoted_string() -> None:
    data = minimal()
    data["version"] = 2026.1
    assert problems_of(data) == (
        "agreement: 'version' must be a quoted string, e.g. version: \"2026.1\"",
    )


def test_every_restricted_category_must_be_declared() -> None:
    data = minimal()
    del data["restricted_categories"]["SEXUAL_HEALTH"]
    assert problems_of(data) == ("restricted_categories: SEXUAL_HEALTH is not declared",)


def test_restricted_field_never_in_existence_only() -> None:
    data = minimal()
    data["fields"]["ConcernRaised"]["EXISTENCE_ONLY"].append("referrer_name")
    data["fields"]["ConcernRaised"]["SUMMARY"].append("referrer_name")
    data["fields"]["ConcernRaised"]["FULL"].append("referrer_name")
    assert problems_of(data) == (
        "restricted_categories THIRD_PARTY_IDENTITY: field 'referrer_name' is in the "
        "EXISTENCE_ONLY list of ConcernRaised",
    )


def test_every_problem_is_reported_not_only_the_first() -> None:
    data = minimal()
    data["rules"][0]["to"] = ["SCHOOL_DSLL", "GP"]
    data["rules"][1]["basis"] = "CONSENT"
    del data["rules"][1]["consent_scope"]
    data["effective_from"] = "next April"
    problems = problems_of(data)
    assert problems == (
        "agreement: 'effective_from' must be a date written YYYY-MM-DD",
        "rule 1 (IncidentRecorded): unknown role 'SCHOOL_DSLL'",
        "rule 2 (ConcernRaised): basis CONSENT needs a consent_scope",
    )


def test_error_message_lists_every_problem() -> None:
    data = minimal()
    data["rules"][0]["to"] = ["SCHOOL_DSLL"]
    data["rules"][1]["to"] = ["NURSE"]
    with pytest.raises(PolicyError, match=r"2 problems") as caught:
        load_agreement(yaml.safe_dump(data))
    assert "unknown role 'SCHOOL_DSLL'" in str(caught.value)
    assert "unknown role 'NURSE'" in str(caught.value)


def test_not_yaml_at_all() -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_agreement("rules: [unclosed")


def test_a_rule_may_cover_several_event_types() -> None:
    data = minimal()
    data["rules"][0]["event"] = ["IncidentRecorded", "ConcernRaised"]
    agreement = load_agreement(yaml.safe_dump(data))
    assert [(r.number, r.event_type) for r in agreement.rules[:2]] == [
        (1, EventType.CONCERN_RAISED),
        (1, EventType.INCIDENT_RECORDED),
    ]


def test_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "agreement.yaml"
    path.write_text(yaml.safe_dump(minimal()), encoding="utf-8")
    assert load_agreement(path).version == "1.0"


# ---- identity of a policy ----


def test_hash_ignores_editor_noise_but_not_comments() -> None:
    text = yaml.safe_dump(minimal())
    noisy = "\ufeff" + text.replace("\n", "  \r\n") + "\n\n"
    assert content_hash(noisy) == content_hash(text)
    assert content_hash("# a reviewed comment\n" + text) != content_hash(text)
    assert load_agreement(noisy).content_hash == load_agreement(text).content_hash


def test_policy_adopted_event_names_version_and_hash() -> None:
    agreement = load_default_agreement()
    adopted_at = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    event = policy_adopted_event(agreement, adopted_at=adopted_at, adopted_by="dpo-0001")
    assert event == {
        "event_type": "PolicyAdopted",
        "version": agreement.version,
        "content_hash": content_hash(default_agreement_text()),
        "title": agreement.title,
        "effective_from": "2026-04-01",
        "adopted_at": adopted_at,
        "adopted_by": "dpo-0001",
    }


def test_policy_adopted_needs_an_aware_time_and_an_adopter() -> None:
    agreement = load_default_agreement()
    with pytest.raises(ValueError, match="timezone-aware"):
        policy_adopted_event(agreement, adopted_at=datetime(2026, 3, 30), adopted_by="dpo")
    with pytest.raises(ValueError, match="adopted_by"):
        policy_adopted_event(
            agreement,
            adopted_at=datetime(2026, 3, 30, tzinfo=timezone(timedelta(hours=1))),
            adopted_by=" ",
        )


def test_shipped_agreement_is_valid_and_uses_every_basis() -> None:
    agreement = load_default_agreement()
    assert agreement.version == "2026.2"
    assert {r.basis for r in agreement.rules} == set(Basis)
    assert all(r.consent_scope == "EARLY_HELP_SHARING" for r in agreement.rules if r.consent_scope)
    assert agreement.entitled(
        Role.FRONT_DOOR_SOCIAL_WORKER, RestrictedCategory.THIRD_PARTY_IDENTITY
    )
    assert not agreement.entitled(Role.SCHOOL_DSL, RestrictedCategory.SEXUAL_HEALTH)

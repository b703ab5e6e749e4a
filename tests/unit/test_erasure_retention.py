"""Retention rules read like the rule: school child-protection records until date of birth + 25
years; the longest applying rule wins; unknown anchors and legal holds keep the child."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from streams.erasure.retention import ChildFacts, add_years, decide, parse_rules

RULES = parse_rules(resources.files("streams.erasure").joinpath("retention_rules.yaml").read_text())


def child(**kw: object) -> ChildFacts:
    base: dict[str, object] = {
        "child_id": "c-1",
        "date_of_birth": date(2001, 3, 14),
        "agency_kinds": frozenset({"SCHOOL"}),
        "last_activity": date(2015, 6, 1),
    }
    return ChildFacts(**{**base, **kw})  # type: ignore[arg-type]


def test_a_school_cp_record_is_kept_until_date_of_birth_plus_25_years() -> None:
    assert not decide(child(), RULES, today=date(2026, 3, 13)).due
    decision = decide(child(), RULES, today=date(2026, 3, 14))
    assert decision.due
    assert decision.keep_until == date(2026, 3, 14)
    assert "school-child-protection" in decision.reason


def test_the_longest_applying_rule_wins() -> None:
    # Police activity until 2024 keeps the child until 2030, after the 25th birthday in 2026.
    facts = child(agency_kinds=frozenset({"SCHOOL", "POLICE"}), last_activity=date(2024, 1, 2))
    assert not decide(facts, RULES, today=date(2027, 1, 1)).due
    late = decide(facts, RULES, today=date(2030, 1, 2))
    assert late.due
    assert late.keep_until == date(2030, 1, 2)
    assert "other-partners" in late.reason


def test_a_legal_hold_keeps_a_child_whose_rules_have_expired() -> None:
    decision = decide(child(on_legal_hold=True), RULES, today=date(2040, 1, 1))
    assert not decision.due
    assert decision.reason == "legal hold"


def test_an_unknown_date_of_birth_keeps_the_child() -> None:
    decision = decide(child(date_of_birth=None), RULES, today=date(2090, 1, 1))
    assert not decision.due
    assert "anchor unknown" in decision.reason


def test_a_leap_day_birthday_expires_on_28_february() -> None:
    assert add_years(date(2004, 2, 29), 25) == date(2029, 2, 28)
    assert add_years(date(2004, 2, 29), 24) == date(2028, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "rules: []",
        "rules:\n  - {name: x, agency_kinds: [SCHOOL], anchor: leaving_date, years: 2}",
        "rules:\n  - {name: x, agency_kinds: [SCHOOL], anchor: date_of_birth, years: 0}",
        "rules:\n  - {name: x, agency_kinds: [], anchor: date_of_birth, years: 2}",
    ],
)
def test_bad_rules_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="retention rules"):
        parse_rules(text)

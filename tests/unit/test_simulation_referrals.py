"""The simulator's referrals for the partnership's indicators: re-referrals within a year,
front-door referrals while early help is open, and coded early help needs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from schemas.catalogue import AVRO_DIR
from streams.simulation import Options, Scenario, generate

START = date(2025, 3, 1)
DAYS = 31
_SCHEMA = json.loads((AVRO_DIR / "earlyhelp" / "EarlyHelpAssessmentStarted.avsc").read_text())
_NEED = next(f for f in _SCHEMA["fields"] if f["name"] == "primary_need")
NEEDS = set(next(t for t in _NEED["type"] if isinstance(t, dict))["symbols"])


@pytest.fixture(scope="module")
def month() -> Scenario:
    options = Options(
        previous_referral_share=0.2,
        re_referral_share=0.6,
        open_early_help_share=0.15,
        early_help_referral_share=0.6,
    )
    return generate(11, children=300, schools=4, days=DAYS, start=START, options=options)


def _begins() -> datetime:
    return datetime(START.year, START.month, START.day, tzinfo=UTC)


def test_some_children_referred_in_the_year_before_are_referred_again(month: Scenario) -> None:
    referrals = month.manifest.referrals
    before = [r for r in referrals if r.made_at < _begins()]
    assert before, "referrals made in the year before the period"
    assert all(r.made_at >= _begins() - timedelta(days=331) for r in before)
    again = [
        r
        for r in referrals
        if r.made_at >= _begins() and any(set(p.child_keys) & set(r.child_keys) for p in before)
    ]
    assert again, "re-referrals within 12 months"


def test_the_front_door_hears_about_families_with_an_open_assessment(month: Scenario) -> None:
    owner: dict[str, set[str]] = {}
    for child in month.manifest.children:
        for event_id in child.event_ids:
            owner.setdefault(event_id, set()).add(child.key)
    started = {
        e["assessment_id"]: (e["occurred_at"], owner[str(e["event_id"])])
        for e in month.events
        if e["event_type"] == "EarlyHelpAssessmentStarted"
    }
    closed = {
        e["assessment_id"]: e["occurred_at"]
        for e in month.events
        if e["event_type"] == "EarlyHelpAssessmentClosed"
    }
    while_open = [
        r
        for r in month.manifest.referrals
        if r.destination == "FRONT_DOOR"
        and r.made_at >= _begins()
        and any(
            at <= r.made_at
            and keys & set(r.child_keys)
            and not (a in closed and closed[a] <= r.made_at)
            for a, (at, keys) in started.items()
        )
    ]
    assert while_open


def test_every_assessment_carries_a_coded_primary_need(month: Scenario) -> None:
    needs = [
        e["primary_need"] for e in month.events if e["event_type"] == "EarlyHelpAssessmentStarted"
    ]
    assert needs
    assert set(needs) <= NEEDS
    assert len(set(needs)) >= 2, "more than one need, so the report has a breakdown"

"""The simulator: deterministic, valid, publishable, and its manifest tells the truth."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schemas import codec
from schemas.validation import may_publish, validate_event
from streams.identity.identifiers import is_valid_nhs_number, is_valid_upn
from streams.simulation import Scenario, generate, to_lines
from streams.simulation.log import blocks_of

START = date(2026, 11, 2)
# Every type agencies publish except EncompassNotificationRequested (forces that decide the
# school themselves; the simulated force publishes incidents only).
AGENCY_EVENT_TYPES = {
    "IncidentRecorded", "ReferralMade", "ReferralOutcomeRecorded", "ConcernRaised",
    "PupilEnrolled", "PupilLeft", "VisitRecorded", "PersonRegistered", "ConsentGiven",
    "ConsentWithdrawn", "EarlyHelpAssessmentStarted", "EarlyHelpAssessmentClosed",
    "ChildProtectionPlanStarted", "ChildProtectionPlanEnded", "LookedAfterStarted",
    "LookedAfterEnded", "SteppedUp", "SteppedDown", "EntryCorrected", "EntryRetracted",
}  # fmt: skip
IDENTIFIERS = ("nhs_number", "upn", "police_person_ref", "la_child_id")


@pytest.fixture(scope="module")
def month() -> Scenario:
    """1,000 children across 20 schools for 30 days: the size the demo and benchmarks use."""
    return generate(7, children=1000, schools=20, days=30, start=START)


def held(subject: Mapping[str, Any]) -> dict[str, str]:
    return {k: subject[k] for k in IDENTIFIERS if subject.get(k)}


def children_named(scenario: Scenario) -> dict[str, list[str]]:
    """Child key -> event ids, worked out from the events' CHILD subjects alone."""
    owner: dict[tuple[str, str], str] = {}
    for child in scenario.manifest.children:
        for item in child.identifiers.items():
            assert item not in owner, "two children share an identifier"
            owner[item] = child.key
    named: dict[str, list[str]] = {}
    for event in scenario.events:
        for subject in event["subjects"]:
            if subject["role"] != "CHILD":
                continue
            keys = {owner[item] for item in held(subject).items()}
            assert len(keys) == 1, "a subject mixes two children's identifiers"
            named.setdefault(keys.pop(), []).append(str(event["event_id"]))
    return named


def check_scenario(scenario: Scenario) -> None:
    """Everything a scenario promises, whatever its size or seed."""
    manifest = scenario.manifest
    recorded = [e["recorded_at"] for e in scenario.events]
    assert recorded == sorted(recorded), "events are in publication order"
    for event in scenario.events:
        event_type = event["event_type"]
        assert validate_event(event_type, event, now=scenario.valid_at) == [], event_type
        assert may_publish(event["source"]["agency_kind"], event_type), event_type
        assert codec.decode(codec.encode(event_type, event)).record["event_id"] == event["event_id"]
        assert event["occurred_at"] <= event["recorded_at"] < manifest.end
    assert manifest.total_events == len(scenario.events)
    assert manifest.event_counts == dict(Counter(e["event_type"] for e in scenario.events))
    assert len({e["event_id"] for e in scenario.events}) == len(scenario.events)
    named = children_named(scenario)
    for child in manifest.children:
        assert sorted(named.get(child.key, [])) == sorted(child.event_ids), child.key
    with_child = set(itertools.chain.from_iterable(named.values()))
    without = {str(e["event_id"]) for e in scenario.events} - with_child
    assert without == set(manifest.events_without_child)


def test_the_same_seed_gives_byte_identical_output() -> None:
    first = "".join(to_lines(generate(3, children=60, schools=4, days=7, start=START).events))
    again = "".join(to_lines(generate(3, children=60, schools=4, days=7, start=START).events))
    other = "".join(to_lines(generate(4, children=60, schools=4, days=7, start=START).events))
    assert first == again
    assert first != other


def test_a_month_for_a_thousand_children_is_valid_and_reconciles(month: Scenario) -> None:
    check_scenario(month)
    assert len(month.manifest.children) == 1000
    assert set(month.manifest.event_counts) == AGENCY_EVENT_TYPES


def test_generation_is_fast() -> None:
    began = time.perf_counter()
    generate(11, children=1000, schools=20, days=30, start=START)
    assert time.perf_counter() - began < 5.0


def test_every_child_is_registered_with_synthetic_identifiers(month: Scenario) -> None:
    registered = {
        item
        for e in month.events
        if e["event_type"] == "PersonRegistered"
        for item in held(e["subjects"][0]).items()
    }
    without_nhs = 0
    for child in month.manifest.children:
        assert set(child.identifiers.items()) <= registered, child.key
        nhs = child.identifiers.get("nhs_number")
        if nhs is None:
            without_nhs += 1
        else:
            assert nhs.startswith("999")
            assert is_valid_nhs_number(nhs)
        if "upn" in child.identifiers:
            assert is_valid_upn(child.identifiers["upn"])
    assert 0 < without_nhs < 150


def test_planted_ambiguities_are_two_records_only_demographics_join(month: Scenario) -> None:
    ambiguities = month.manifest.ambiguities
    assert ambiguities
    assert any(a.typo for a in ambiguities)
    assert any(not a.typo for a in ambiguities)
    registrations = {
        str(e["event_id"]): e for e in month.events if e["event_type"] == "PersonRegistered"
    }
    for ambiguity in ambiguities:
        assert not set(ambiguity.first.items()) & set(ambiguity.second.items())
        assert "nhs_number" not in ambiguity.first
        assert "nhs_number" not in ambiguity.second
        child = month.manifest.child(ambiguity.child_key)
        regs = [registrations[i] for i in ambiguity.registration_event_ids]
        assert {r["family_name"] for r in regs} == {child.family_name}
        assert {r["date_of_birth"] for r in regs} == {child.date_of_birth}
        assert {r["postcode"] for r in regs} == {child.postcode}
        assert ({r["given_name"] for r in regs} != {child.given_name}) == ambiguity.typo
    # Children with an NHS number are never ambiguous: every record of theirs carries it.
    ambiguous = {a.child_key for a in ambiguities}
    for child in month.manifest.children:
        if child.key in ambiguous:
            assert "nhs_number" not in child.identifiers


def test_no_two_children_look_alike(month: Scenario) -> None:
    """Only planted cases may share three of name, date of birth and postcode."""
    owner: dict[tuple[str, ...], str] = {}
    children = {c.key: c for c in month.manifest.children}
    subjects_child = children_named_by_registration(month)
    for event in month.events:
        if event["event_type"] != "PersonRegistered":
            continue
        key = subjects_child[str(event["event_id"])]
        for block in blocks_of(
            event["given_name"], event["family_name"], event["date_of_birth"], event["postcode"]
        ):
            assert owner.setdefault(block, key) == key
    assert len(children) == 1000


def children_named_by_registration(scenario: Scenario) -> dict[str, str]:
    return {event_id: key for key, ids in children_named(scenario).items() for event_id in ids}


def test_withheld_enrolments_are_never_published_and_have_an_incident(month: Scenario) -> None:
    withheld = month.manifest.withheld_enrolments
    assert withheld
    incidents = {k for i in month.manifest.incidents if i.domestic_abuse for k in i.child_keys}
    for item in withheld:
        child = month.manifest.child(item["child_key"])
        for event_id in child.event_ids:
            event = next(e for e in month.events if str(e["event_id"]) == event_id)
            assert event["event_type"] != "PupilEnrolled"
        assert child.key in incidents


def test_referrals_overdue_closed_and_pending_are_as_declared(month: Scenario) -> None:
    outcomes = Counter(
        e["referral_id"] for e in month.events if e["event_type"] == "ReferralOutcomeRecorded"
    )
    made = Counter(e["referral_id"] for e in month.events if e["event_type"] == "ReferralMade")
    assert set(made) == {r.referral_id for r in month.manifest.referrals}
    assert all(n == 1 for n in made.values())
    assert month.manifest.overdue_referrals
    for referral in month.manifest.referrals:
        expected = 1 if referral.status == "closed" else 0
        assert outcomes[referral.referral_id] == expected, referral.status
    for referral in month.manifest.overdue_referrals:
        assert (month.manifest.end - referral.made_at).days >= 3
    destinations = {r.destination for r in month.manifest.referrals}
    assert destinations == {"FRONT_DOOR", "PITSTOP", "EARLY_HELP", "HEALTH_SERVICE"}


def test_incidents_look_like_police_demand(month: Scenario) -> None:
    incidents = [e for e in month.events if e["event_type"] == "IncidentRecorded"]
    london = ZoneInfo("Europe/London")
    out_of_hours = [
        e
        for e in incidents
        if e["occurred_at"].astimezone(london).hour >= 17
        or e["occurred_at"].astimezone(london).hour < 3
        or e["occurred_at"].astimezone(london).weekday() >= 5
    ]
    assert len(out_of_hours) > len(incidents) / 2
    domestic = [e for e in incidents if e["domestic_abuse"]]
    assert 0.5 < len(domestic) / len(incidents) < 0.9
    assert any(e["pregnancy_noted"] for e in domestic)
    assert any(len(e["children"]) > 1 for e in incidents)
    assert any(c["voice_of_child"] for e in incidents for c in e["children"])
    renotified = [i for i in month.manifest.incidents if len(i.event_ids) > 1]
    assert renotified
    by_id = {str(e["event_id"]): e for e in incidents}
    for incident in renotified:
        refs = {by_id[i]["police_reference"] for i in incident.event_ids}
        assert refs == {incident.police_reference}


def test_settings_have_real_shaped_urns_and_some_children_are_home_educated(
    month: Scenario,
) -> None:
    enrolments = [e for e in month.events if e["event_type"] == "PupilEnrolled"]
    kinds = Counter(e["setting_kind"] for e in enrolments)
    assert {"SCHOOL", "EARLY_YEARS", "ELECTIVE_HOME_EDUCATION"} <= set(kinds)
    for event in enrolments:
        urn = event["school_urn"]
        if event["setting_kind"] == "ELECTIVE_HOME_EDUCATION":
            assert urn is None
            assert event["source"]["agency_kind"] == "LOCAL_AUTHORITY"
        elif event["setting_kind"] == "EARLY_YEARS":
            assert urn.startswith("EY")
            assert len(urn) == 8
        else:
            assert urn.isdigit()
            assert len(urn) == 6
    assert any(e["event_type"] == "PupilLeft" for e in month.events)


def test_the_manifest_is_json_ready(month: Scenario) -> None:
    import json

    body = month.manifest.to_json()
    assert json.loads(json.dumps(body))["days"] == 30
    assert body["valid_at"].endswith("Z")
    assert body["overdue_referral_ids"]


def test_valid_at_is_a_day_after_the_period() -> None:
    scenario = generate(1, children=5, schools=1, days=2, start=START)
    assert scenario.valid_at.tzinfo is not None
    assert scenario.valid_at.astimezone(UTC).date() == date(2026, 11, 5)


def test_nonsense_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(1, children=0, schools=1, days=1, start=START)

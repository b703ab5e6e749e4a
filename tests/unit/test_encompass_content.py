"""Notification content is an allow-list: nothing outside it, whatever police send."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.encompass.content import (
    ALLOWED_FIELDS,
    CIRCUMSTANCES_MAX_CHARS,
    ContentNotAllowedError,
    build_notification_content,
    check_content,
    disallowed_fields,
)
from streams.encompass.model import IncidentFacts, LinkedChild

# Every value a generated "extra" field carries starts with this, so a leak is visible.
MARK = "LEAK::"

# Things a force system might publish that a school must never get.
TEMPTING_EXTRAS = [
    "parent_phone",
    "parent_email",
    "mother_name",
    "perpetrator_name",
    "home_address",
    "risk_level",
    "nhs_number",
    "social_worker",
]

texts = st.text(alphabet=st.characters(blacklist_characters=":"), max_size=40)
extras = st.dictionaries(
    st.sampled_from(TEMPTING_EXTRAS) | st.text(min_size=1, max_size=12),
    st.text(max_size=20).map(lambda s: MARK + s),
    max_size=6,
)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2030, 1, 1),
    timezones=st.just(UTC),
)


@st.composite
def incidents(draw: st.DrawFn) -> tuple[IncidentFacts, LinkedChild]:
    child = LinkedChild(
        child_key=draw(texts),
        name=draw(texts),
        date_of_birth=draw(st.dates(min_value=date(2008, 1, 1), max_value=date(2025, 1, 1))),
        present=draw(st.booleans()),
        whereabouts=draw(st.none() | texts),
        spoken_to=draw(st.booleans()),
        voice=draw(st.none() | texts),
        extra=draw(extras),
    )
    occurred = draw(instants)
    incident = IncidentFacts(
        police_reference=draw(texts),
        occurred_at=occurred,
        recorded_at=occurred + timedelta(minutes=draw(st.integers(0, 600))),
        place=draw(texts),
        circumstances=draw(st.text(max_size=800).filter(lambda s: MARK not in s)),
        local_authority=MARK + "LA",
        pregnancy_noted=draw(st.booleans()),
        children=(child,),
        extra=draw(extras),
    )
    return incident, child


@given(incidents())
def test_content_never_carries_a_field_outside_the_allow_list(
    case: tuple[IncidentFacts, LinkedChild],
) -> None:
    incident, child = case
    content = build_notification_content(incident, child).as_dict()
    assert set(content) <= ALLOWED_FIELDS
    check_content(content)
    # Nor any value that only an extra field held (the LA code is not shared either).
    assert not any(isinstance(v, str) and MARK in v for v in content.values())


def test_allow_list_is_exactly_what_the_domain_names() -> None:
    assert {
        "child_name",
        "child_date_of_birth",
        "police_reference",
        "incident_at",
        "incident_place",
        "child_present",
        "child_whereabouts",
        "child_spoken_to",
        "child_voice",
        "circumstances",
    } == ALLOWED_FIELDS
    assert not any("parent" in f or "contact" in f or "phone" in f for f in ALLOWED_FIELDS)


def test_check_names_the_fields_but_not_their_values() -> None:
    bad = {"child_name": "Alex", "parent_phone": "07700 900123"}
    assert disallowed_fields(bad) == {"parent_phone"}
    with pytest.raises(ContentNotAllowedError, match="parent_phone") as raised:
        check_content(bad)
    assert "07700" not in str(raised.value)


def test_long_circumstances_are_shortened_and_marked() -> None:
    child = LinkedChild(child_key="C", name="A", date_of_birth=date(2015, 1, 1), present=False)
    at = datetime(2026, 6, 1, 20, tzinfo=UTC)
    incident = IncidentFacts(
        police_reference="R",
        occurred_at=at,
        recorded_at=at,
        place="P",
        circumstances="x" * 5000,
        local_authority="999",
    )
    text = build_notification_content(incident, child).circumstances
    assert len(text) <= CIRCUMSTANCES_MAX_CHARS
    assert text.endswith("[shortened]")


def test_child_not_present_is_still_described_truthfully() -> None:
    child = LinkedChild(child_key="C", name="A", date_of_birth=date(2015, 1, 1), present=False)
    at = datetime(2026, 6, 1, 20, tzinfo=UTC)
    incident = IncidentFacts(
        police_reference="R",
        occurred_at=at,
        recorded_at=at,
        place="P",
        circumstances="c",
        local_authority="999",
    )
    content = asdict(build_notification_content(incident, child))
    assert content["child_present"] is False
    assert content["child_whereabouts"] is None
    assert content["child_spoken_to"] is False

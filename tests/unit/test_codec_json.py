"""The JSON form used by the HTTP gateway: conversion in, display out, field-level errors."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from schemas.codec import InvalidRecord, UnknownEventType, decode, encode, from_json, to_json
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event


def _json(event_type: str) -> dict[str, Any]:
    """The sample as an HTTP client would send it."""
    obj: dict[str, Any] = json.loads(json.dumps(to_json(sample_event(event_type))))
    return obj


def _problems(obj: object) -> dict[str, str]:
    with pytest.raises(InvalidRecord) as caught:
        from_json(obj)
    return dict(caught.value.problems)


@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_json_round_trips_through_the_binary_codec(event_type: str) -> None:
    record = from_json(_json(event_type))
    assert record == sample_event(event_type)
    assert to_json(decode(encode(event_type, record)).record) == _json(event_type)


def test_to_json_writes_utc_timestamps_iso_dates_and_uuid_strings() -> None:
    shown = to_json(sample_event("IncidentRecorded"))
    assert shown["occurred_at"] == "2026-11-20T21:40:15.123456Z"
    assert shown["recorded_at"] == "2026-11-20T22:05:00Z"
    assert shown["children"][0]["date_of_birth"] == "2017-03-14"
    assert uuid.UUID(shown["event_id"]).version == 5


def test_from_json_converts_offsets_to_utc_and_parses_dates_and_uuids() -> None:
    obj = _json("IncidentRecorded")
    obj["occurred_at"] = "2026-06-01T09:30:00+01:00"  # British Summer Time
    record = from_json(obj)
    assert record["occurred_at"] == datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    assert record["children"][1]["date_of_birth"] == date(2020, 9, 2)
    assert isinstance(record["event_id"], uuid.UUID)


def test_from_json_fills_defaults_for_absent_nullable_fields() -> None:
    obj = _json("ReferralMade")
    del obj["lawful_basis"], obj["risk_level"]
    record = from_json(obj)
    assert record["lawful_basis"] is None
    assert record["risk_level"] is None


def test_from_json_reports_every_bad_field_by_path() -> None:
    obj = _json("IncidentRecorded")
    obj["occurred_at"] = "2026-11-20T21:40:15"  # no offset
    obj["recorded_at"] = 1763676300
    obj["event_id"] = "not-a-uuid"
    obj["risk_level"] = "high"
    obj["subjects"][2]["role"] = "MOTHER"
    obj["children"][0]["date_of_birth"] = "14/03/2017"
    obj["children"][1]["present"] = "yes"
    obj["location"] = "12 Example Street"
    del obj["police_reference"]
    obj["colour"] = "blue"
    assert _problems(obj) == {
        "occurred_at": "expected a date and time with a UTC offset (timezone-aware)",
        "recorded_at": "expected an ISO-8601 date and time with a UTC offset",
        "event_id": "expected a UUID",
        "risk_level": "expected one of STANDARD, MEDIUM, HIGH",
        "subjects[2].role": "expected one of CHILD, UNBORN_CHILD, PARENT_CARER, ADULT, REFERRER",
        "children[0].date_of_birth": "expected a date (YYYY-MM-DD)",
        "children[1].present": "expected true or false",
        "location": "expected an object",
        "police_reference": "is required",
        "colour": "is not a field of this event",
    }


def test_problem_messages_never_repeat_the_value_sent() -> None:
    obj = _json("PersonRegistered")
    obj["given_name"] = 42
    obj["date_of_birth"] = "Ava Testington"
    with pytest.raises(InvalidRecord) as caught:
        from_json(obj)
    text = str(caught.value) + repr(caught.value.problems)
    assert "Testington" not in text
    assert "42" not in text


def test_a_whole_number_out_of_range_is_rejected() -> None:
    obj = _json("IncidentRecorded")
    obj["children"][0]["subject_index"] = 2**40
    assert _problems(obj) == {"children[0].subject_index": "expected a whole number (32-bit)"}


def test_booleans_are_not_numbers_and_numbers_not_booleans() -> None:
    obj = _json("IncidentRecorded")
    obj["children"][0]["subject_index"] = True
    obj["domestic_abuse"] = 1
    assert set(_problems(obj)) == {"children[0].subject_index", "domestic_abuse"}


@pytest.mark.parametrize("body", [[], "event", None, 3])
def test_a_body_that_is_not_an_object_is_one_problem(body: object) -> None:
    assert _problems(body) == {"": "expected a JSON object"}


def test_a_missing_event_type_is_a_field_problem() -> None:
    obj = _json("ConcernRaised")
    del obj["event_type"]
    assert _problems(obj) == {"event_type": "is required"}


def test_an_unknown_event_type_is_its_own_error() -> None:
    obj = _json("ConcernRaised")
    obj["event_type"] = "ConcernRaisedd"
    with pytest.raises(UnknownEventType):
        from_json(obj)

"""JSON lines in and out, and how `hub publish` prepares each line (no broker needed)."""

from __future__ import annotations

import json
from datetime import date

from ops.publish import Outgoing, PublishSummary, Rejection, message_key, prepare
from schemas import codec
from streams.simulation import generate, read_lines, to_line, to_lines
from tests.unit.event_samples import SAMPLE_NOW, sample_event

START = date(2026, 11, 2)


def test_lines_round_trip_through_the_codecs_json_form() -> None:
    events = generate(5, children=30, schools=3, days=5, start=START).events
    lines = list(to_lines(events))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    read = list(read_lines(lines))
    assert [r.record for r in read] == events
    assert [r.number for r in read] == list(range(1, len(events) + 1))


def test_bad_lines_are_reported_by_number_without_their_content() -> None:
    good = to_line(sample_event("ConcernRaised"))
    broken = sample_event("ConcernRaised")
    broken_json = codec.to_json(broken)
    broken_json["subjects"][0]["nhs_number"] = 12345
    lines = [
        good,
        "",
        '{"event_type": "ConcernRaised", "summary": "Sensitive words',
        json.dumps({**codec.to_json(sample_event("VisitRecorded")), "event_type": "Nope"}),
        json.dumps(broken_json),
    ]
    read = list(read_lines(lines))
    assert [r.number for r in read] == [1, 3, 4, 5]
    assert read[0].record is not None
    assert read[1].record is None
    assert read[1].problems[0].startswith("bad JSON")
    assert read[2].problems == ("event_type: unknown event type",)
    assert any(p.startswith("subjects[0].nhs_number") for p in read[3].problems)
    for line in read[1:]:
        assert "Sensitive" not in " ".join(line.problems)
        assert "12345" not in " ".join(line.problems)


def test_prepare_sends_a_valid_event_to_its_agencys_ingest_topic() -> None:
    (line,) = read_lines([to_line(sample_event("IncidentRecorded"))])
    prepared = prepare(line, now=SAMPLE_NOW)
    assert isinstance(prepared, Outgoing)
    assert prepared.topic == "hub.ingest.police.v1"
    assert prepared.key == b"PP-100234"  # police key their own person reference
    assert codec.decode(prepared.value).record == sample_event("IncidentRecorded")


def test_prepare_rejects_what_the_ingest_stage_would() -> None:
    school_incident = sample_event("IncidentRecorded")
    school_incident["source"]["agency_kind"] = "SCHOOL"
    bad_digit = sample_event("VisitRecorded")
    bad_digit["subjects"][0]["nhs_number"] = "9990000017"
    lines = list(read_lines([to_line(school_incident), to_line(bad_digit)]))
    first, second = (prepare(line, now=SAMPLE_NOW) for line in lines)
    assert first == Rejection(line=1, reasons=("SCHOOL may not publish IncidentRecorded",))
    assert isinstance(second, Rejection)
    assert second.reasons == (
        "subjects[0].nhs_number: is not a valid NHS number (modulus 11 check)",
    )


def test_keys_fall_back_to_any_identifier_then_the_event_id() -> None:
    visit = sample_event("VisitRecorded")
    assert message_key(visit) == visit["subjects"][0]["nhs_number"].encode()
    school = sample_event("ConcernRaised")
    assert message_key(school) == school["subjects"][0]["upn"].encode()
    school["subjects"][0]["upn"] = None
    assert message_key(school) == school["subjects"][0]["nhs_number"].encode()
    school["subjects"] = [{"role": "ADULT"}]
    assert message_key(school) == str(school["event_id"]).encode()


def test_reasons_are_grouped_with_their_line_numbers() -> None:
    summary = PublishSummary(
        rejected=[
            Rejection(line=2, reasons=("a: bad",)),
            Rejection(line=7, reasons=("a: bad", "b: worse")),
        ]
    )
    assert summary.reasons() == {"a: bad": [2, 7], "b: worse": [7]}

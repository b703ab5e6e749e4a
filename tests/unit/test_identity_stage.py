"""The identity stage's pure half: accepted records in, index writes and identity-log records out."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest

from schemas import codec
from schemas.validation import may_publish, validate_event
from streams.identity import IdentityDecisionRejected, apply_changes
from streams.identity.stage import Placement, derived_events, place_event, sightings
from streams.identity.state import PersonIndex
from streams.identity.tables import IndexTables, write_changes
from tests.unit.event_samples import (
    CHILD_NHS,
    CHILD_UPN,
    RECORDED_AT,
    SAMPLE_NOW,
    sample_event,
    subject,
)

KEY = b"stage test key"


def _event(event_type: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(sample_event(event_type))
    record["event_id"] = uuid.uuid4()
    record.update(changes)
    return record


def _decision(event_type: str, a: str, b: str, review_id: str | None = None) -> dict[str, Any]:
    by = "linked_by" if event_type == "PersonsLinked" else "unlinked_by"
    return {
        "event_id": uuid.uuid4(),
        "event_type": event_type,
        "occurred_at": RECORDED_AT,
        "recorded_at": RECORDED_AT,
        "source": {
            "agency_id": "stockton-childrens-hub",
            "agency_kind": "SOCIAL_CARE",
            "system": "Mosaic",
            "practitioner_role": "Social worker",
        },
        "subjects": [subject("CHILD", la_child_id="LA-77")],
        "lawful_basis": None,
        "review_id": None if review_id is None else uuid.UUID(review_id),
        "child_ids": [a, b],
        by: "A. Worker, front door social worker",
        "reason": "checked with the school and the GP",
    }


class Fold:
    """The stage over the pure fold, as the agent runs it over tables."""

    def __init__(self) -> None:
        self.index = PersonIndex()

    def place(self, record: dict[str, Any]) -> tuple[Placement, list[Any]]:
        changes, placement = place_event(self.index, record, key=KEY)
        self.index = apply_changes(self.index, changes)
        return placement, derived_events(record, placement)


def test_a_registration_carries_demographics_and_other_events_only_identifiers() -> None:
    registered = _event("PersonRegistered")
    (seen,) = sightings(registered)
    assert seen.demographics is not None
    assert seen.demographics.family_name == "Testington"
    assert seen.identifiers.nhs_number == CHILD_NHS
    incident = _event("IncidentRecorded")
    assert [(s.subject_index, s.demographics) for s in sightings(incident)] == [
        (0, None),
        (1, None),
    ]


def test_adults_are_not_indexed_but_the_event_is_still_resolved() -> None:
    stage = Fold()
    adult_only = _event("ConsentGiven", subjects=[subject("PARENT_CARER", nhs_number=CHILD_NHS)])
    placement, (resolved,) = stage.place(adult_only)
    assert stage.index.records == {}
    assert placement.subject_records == [None]
    assert resolved.event_type == "SubjectsResolved"
    assert resolved.key == str(adult_only["event_id"])
    assert resolved.record["resolutions"] == []


def test_an_incident_maps_each_subject_index_to_its_record() -> None:
    stage = Fold()
    placement, events = stage.place(_event("IncidentRecorded"))
    child, sibling, adult = placement.subject_records
    assert child
    assert sibling
    assert child != sibling
    assert adult is None
    (resolved,) = events
    assert resolved.key == child
    assert [
        (r["subject_index"], r["rule"], r["minted"]) for r in resolved.record["resolutions"]
    ] == [
        (0, "NEW_CHILD", True),
        (1, "NEW_CHILD", True),
    ]
    again, _ = stage.place(_event("ReferralMade"))
    assert again.subject_records == [child]
    assert again.subjects[0].rule == "nhs_number"


def test_derived_events_are_valid_avro_and_name_no_one() -> None:
    stage = Fold()
    stage.place(_event("PersonRegistered", upn=None, subjects=[subject(nhs_number=CHILD_NHS)]))
    school = _event("PersonRegistered", nhs_number=None, subjects=[subject(upn=CHILD_UPN)])
    _, events = stage.place(school)
    assert [e.event_type for e in events] == ["SubjectsResolved", "IdentityReviewRequested"]
    for event in events:
        wire = codec.encode(event.event_type, event.record)
        assert codec.decode(wire).record == event.record
        text = json.dumps(codec.to_json(event.record))
        for secret in ["Ava", "Testington", "2017-03-14", "TS18", CHILD_NHS, CHILD_UPN]:
            assert secret not in text
    review = events[1].record
    assert review["reasons"] == [
        "date_of_birth_match",
        "family_name_match",
        "given_name_match",
        "postcode_match",
    ]
    assert events[1].key == review["child_ids"][0] < review["child_ids"][1]
    assert review["source"]["agency_id"] == "hub"


def test_a_stored_placement_gives_byte_identical_outputs() -> None:
    stage = Fold()
    stage.place(_event("PersonRegistered", upn=None, subjects=[subject(nhs_number=CHILD_NHS)]))
    record = _event("PersonRegistered", nhs_number=None, subjects=[subject(upn=CHILD_UPN)])
    placement, events = stage.place(record)
    stored = json.loads(json.dumps(placement.to_json()))
    again = derived_events(record, Placement.from_json(stored, record))
    assert [codec.encode(e.event_type, e.record) for e in again] == [
        codec.encode(e.event_type, e.record) for e in events
    ]
    assert Placement.from_json(stored, record) == placement


def test_a_link_rekeys_and_a_decision_that_changes_nothing_emits_nothing() -> None:
    stage = Fold()
    stage.place(_event("PersonRegistered", upn=None, subjects=[subject(nhs_number=CHILD_NHS)]))
    _, events = stage.place(
        _event("PersonRegistered", nhs_number=None, subjects=[subject(upn=CHILD_UPN)])
    )
    a, b = events[1].record["child_ids"]
    link = _decision("PersonsLinked", a, b, review_id=str(events[1].record["review_id"]))
    decided, (rekeyed,) = stage.place(link)
    assert rekeyed.event_type == "RecordsRekeyed"
    assert rekeyed.key == a
    assert rekeyed.record["rekeyed"] == [{"record_id": b, "from_child_id": b, "to_child_id": a}]
    assert decided.subjects == ()
    assert stage.index.pending == {}
    codec.encode("RecordsRekeyed", rekeyed.record)
    assert stage.place(_decision("PersonsLinked", b, a))[1] == []
    with pytest.raises(IdentityDecisionRejected, match="unknown"):
        stage.place(_decision("PersonsUnlinked", a, str(uuid.uuid4())))


def test_the_stage_over_tables_matches_the_stage_over_the_fold() -> None:
    stage, tables = Fold(), IndexTables.in_memory()
    history = [
        _event("PersonRegistered", upn=None, subjects=[subject(nhs_number=CHILD_NHS)]),
        _event("PersonRegistered", nhs_number=None, subjects=[subject(upn=CHILD_UPN)]),
        _event("IncidentRecorded"),
        _event("ConsentGiven"),
    ]
    for record in history:
        changes, placement = place_event(tables, record, key=KEY)
        write_changes(tables, changes)
        assert (placement, derived_events(record, placement)) == stage.place(record)


def test_only_the_front_door_publishes_decisions_and_no_agency_publishes_derived_events() -> None:
    link = _decision("PersonsLinked", "a", "b")
    assert validate_event("PersonsLinked", link, now=SAMPLE_NOW) == []
    assert may_publish("SOCIAL_CARE", "PersonsLinked")
    assert may_publish("SOCIAL_CARE", "PersonsUnlinked")
    assert not may_publish("POLICE", "PersonsLinked")
    same = _decision("PersonsUnlinked", "a", "a")
    assert [p.field for p in validate_event("PersonsUnlinked", same, now=SAMPLE_NOW)] == [
        "child_ids"
    ]
    three = {**link, "child_ids": ["a", "b", "c"]}
    assert [p.field for p in validate_event("PersonsLinked", three, now=SAMPLE_NOW)] == [
        "child_ids"
    ]
    for derived in ("SubjectsResolved", "IdentityReviewRequested", "RecordsRekeyed"):
        assert not any(
            may_publish(kind, derived) for kind in ("LOCAL_AUTHORITY", "SOCIAL_CARE", "POLICE")
        )

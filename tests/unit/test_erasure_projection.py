"""The erasure projection maps sealed events to key ids per subject (ids and dates only),
SubjectsResolved to records, and SubjectErased to an erased-child row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from projections.erasure.mapping import ErasedChildRow, ResolutionRow, SubjectRow, rows
from projections.model import SourceRecord
from schemas import codec
from schemas.topics import ACCEPTED, ERASURE, IDENTITY
from streams.erasure.envelope import parse
from streams.erasure.sealing import seal_event
from tests.unit.erasure_fakes import ID_SECRET, keyring
from tests.unit.event_samples import sample_event


def _record(topic: str, value: bytes) -> SourceRecord:
    return SourceRecord(topic=topic, partition=0, offset=0, key=None, value=value)


def test_each_subject_of_a_sealed_event_maps_to_its_key_and_date_of_birth() -> None:
    event = sample_event("IncidentRecorded")
    sealed, _ = seal_event("IncidentRecorded", event, keyring=keyring(), secret=ID_SECRET)
    mapped = rows(_record(ACCEPTED, codec.encode("IncidentRecorded", sealed)))
    assert all(isinstance(r, SubjectRow) for r in mapped)
    by_index = {r.subject_index: r for r in mapped}
    assert set(by_index) == set(range(len(event["subjects"])))
    for i, subject in enumerate(sealed["subjects"]):
        token = parse(subject["nhs_number"] or subject["police_person_ref"])
        assert token is not None
        assert by_index[i].key_id == token.key_ids[0]
    for linked in event["children"]:
        assert by_index[linked["subject_index"]].date_of_birth == linked["date_of_birth"]
    text = repr(mapped)
    assert event["children"][0]["given_name"] not in text
    assert event["subjects"][0]["nhs_number"] not in text


def test_resolutions_and_erasures_map_to_their_rows() -> None:
    now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    envelope = {
        "occurred_at": now,
        "recorded_at": now,
        "source": {
            "agency_id": "hub",
            "agency_kind": "LOCAL_AUTHORITY",
            "system": "hub",
            "practitioner_role": None,
        },
        "subjects": [],
        "lawful_basis": None,
    }
    source_id = uuid.uuid4()
    resolved = {
        **envelope,
        "event_id": uuid.uuid4(),
        "event_type": "SubjectsResolved",
        "source_event_id": source_id,
        "source_event_type": "ConcernRaised",
        "resolutions": [
            {
                "subject_index": 0,
                "record_id": "r-1",
                "child_id": "c-1",
                "rule": "NEW_CHILD",
                "minted": True,
                "notes": [],
            }
        ],
    }
    mapped = rows(_record(IDENTITY, codec.encode("SubjectsResolved", resolved)))
    assert mapped == (ResolutionRow(event_id=source_id, subject_index=0, record_id="r-1"),)
    erased_id = uuid.uuid4()
    erased = {
        **envelope,
        "event_id": erased_id,
        "event_type": "SubjectErased",
        "child_id": "c-1",
        "record_ids": ["r-1"],
        "key_ids": ["a" * 32],
        "trigger": "REQUEST",
        "rule": None,
        "reason": "subject-request",
        "erased_by": "operator",
    }
    (row,) = rows(_record(ERASURE, codec.encode("SubjectErased", erased)))
    assert isinstance(row, ErasedChildRow)
    assert (row.erasure_event_id, row.child_id, row.key_ids) == (erased_id, "c-1", ["a" * 32])

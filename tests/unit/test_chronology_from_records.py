"""Accepted records as chronology events, their log record, and the projection's rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from projections.chronology import child_record_rows, chronology_rows
from projections.chronology.mapping import ChronologyEntryRow, ChronologyEventRow
from projections.chronology.queries import to_event
from projections.model import SourceRecord
from schemas import codec
from schemas.catalogue import catalogue
from schemas.topics import CHRONOLOGY, IDENTITY
from streams.chronology import (
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    SignificantEventRecorded,
    build,
    visible_entries,
)
from streams.chronology.from_records import ENTRY_TYPES, NOT_ENTRIES, to_chronology_event
from streams.chronology.log_record import chronology_updated, updated_event_id
from streams.chronology.placement import place
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event

RECORD = "rec-1"
AGENCY_TYPES = [t for t in SAMPLE_EVENT_TYPES if catalogue().get(t) is not None]


def _agency_event_types() -> list[str]:
    derived = {"SubjectsResolved", "IdentityReviewRequested", "RecordsRekeyed"}
    return [t for t in AGENCY_TYPES if t not in derived and sample_event(t)["source"]["agency_id"]]


@pytest.mark.parametrize("event_type", _agency_event_types())
def test_every_agency_event_about_a_child_is_an_entry_except_identity(event_type: str) -> None:
    record = sample_event(event_type)
    event = to_chronology_event(event_type, record, record_id=RECORD, subject_index=0)
    if event_type in NOT_ENTRIES:
        assert event is None
    elif event_type == "EntryCorrected":
        assert isinstance(event, EntryCorrected)
        assert event.entry_id == str(record["corrects_event_id"])
        assert event.summary == record["correction_summary"]
        assert event.corrected_by.practitioner_id == record["corrected_by"]
    elif event_type == "EntryRetracted":
        assert isinstance(event, EntryRetracted)
        assert event.entry_id == str(record["retracts_event_id"])
        assert event.retracted_by.practitioner_id == record["retracted_by"]
    elif event_type == "EntryCurated":
        assert isinstance(event, EntryCurated)
        assert event.entry_id == str(record["curates_event_id"])
        assert event.include is record["included"]
        assert event.curated_by.practitioner_id == record["curated_by_role"]
    else:
        assert event_type in ENTRY_TYPES
        assert isinstance(event, SignificantEventRecorded)
        assert event.occurred_at == record["occurred_at"]
        assert event.recorded_at == record["recorded_at"]
        assert event.source.agency_id == record["source"]["agency_id"]
        assert event.lawful_basis == (record["lawful_basis"] or "")
        assert event.category
        assert event.summary


def test_an_incident_entry_carries_its_police_reference_and_no_names_or_voice() -> None:
    record = sample_event("IncidentRecorded")
    index = record["children"][0]["subject_index"]
    event = to_chronology_event("IncidentRecorded", record, record_id=RECORD, subject_index=index)
    assert isinstance(event, SignificantEventRecorded)
    assert event.police_reference == record["police_reference"]
    assert record["circumstances"] in event.summary
    for child in record["children"]:
        for private in (child["given_name"], child["voice_of_child"], child["where_present"]):
            if private:
                for text in (event.summary, event.impact_on_child, event.action_taken):
                    assert private not in text
    assert record["location"]["address"] not in event.summary
    assert "present" in event.impact_on_child.lower()


def _log_record(event_type: str, record: dict[str, object]) -> bytes:
    event = to_chronology_event(event_type, record, record_id=RECORD, subject_index=0)
    assert event is not None
    _, placement = place(RECORD, [], event)
    updated = chronology_updated(
        event_type,
        record,
        record_id=RECORD,
        child_id=RECORD,
        subject_index=0,
        placement=placement,
    )
    return codec.encode("ChronologyUpdated", updated)


def _source(value: bytes, topic: str = CHRONOLOGY, timestamp_ms: int = 0) -> SourceRecord:
    return SourceRecord(
        topic=topic,
        partition=0,
        offset=0,
        key=RECORD.encode(),
        value=value,
        timestamp_ms=timestamp_ms,
    )


def test_the_log_record_projects_to_the_event_row_and_its_entry_versions() -> None:
    record = sample_event("ConcernRaised")
    wire = _log_record("ConcernRaised", record)
    decoded = codec.decode(wire).record
    assert decoded["event_id"] == updated_event_id(str(record["event_id"]), RECORD)
    assert decoded["source"]["agency_id"] == "hub"
    assert decoded["subjects"] == []
    assert decoded["change"] == "ENTRY_RECORDED"
    event_row, version_row = chronology_rows(_source(wire))
    assert isinstance(event_row, ChronologyEventRow)
    assert isinstance(version_row, ChronologyEntryRow)
    assert (event_row.record_id, event_row.event_id, event_row.kind) == (
        RECORD,
        record["event_id"],
        "entry",
    )
    assert (version_row.entry_id, version_row.version) == (record["event_id"], 1)
    # Read back, the row is the event the chronology was built from.
    original = to_chronology_event("ConcernRaised", record, record_id=RECORD, subject_index=0)
    assert original is not None
    back = to_event(vars_of(event_row))
    assert build(RECORD, [back]).entries == build(RECORD, [original]).entries


def test_a_pending_retraction_projects_its_content_and_no_versions() -> None:
    record = sample_event("EntryRetracted")
    (event_row,) = chronology_rows(_source(_log_record("EntryRetracted", record)))
    assert isinstance(event_row, ChronologyEventRow)
    assert event_row.kind == "retraction"
    assert event_row.target_event_id == record["retracts_event_id"]
    assert event_row.amended_by == record["retracted_by"]


def test_child_records_take_minted_resolutions_and_every_rekeying() -> None:
    envelope = {
        "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
        "recorded_at": datetime(2026, 1, 1, tzinfo=UTC),
        "source": {"agency_id": "hub", "agency_kind": "LOCAL_AUTHORITY", "system": "hub",
                   "practitioner_role": None},
        "subjects": [],
        "lawful_basis": None,
    }  # fmt: skip
    resolved = envelope | {
        "event_id": uuid.uuid4(),
        "event_type": "SubjectsResolved",
        "source_event_id": uuid.uuid4(),
        "source_event_type": "ConcernRaised",
        "resolutions": [
            {"subject_index": 0, "record_id": "r1", "child_id": "r1", "rule": "NEW_CHILD",
             "minted": True, "notes": []},
            {"subject_index": 1, "record_id": "r2", "child_id": "r2", "rule": "NHS_NUMBER",
             "minted": False, "notes": []},
        ],
    }  # fmt: skip
    rekeyed = envelope | {
        "event_id": uuid.uuid4(),
        "event_type": "RecordsRekeyed",
        "decision_event_id": uuid.uuid4(),
        "decision_type": "PersonsLinked",
        "review_id": None,
        "rekeyed": [{"record_id": "r3", "from_child_id": "r3", "to_child_id": "r1"}],
    }
    (first,) = child_record_rows(
        _source(codec.encode("SubjectsResolved", resolved), IDENTITY, 1_700_000_000_000)
    )
    assert (first.record_id, first.child_id, first.fact_rank) == ("r1", "r1", 0)
    assert first.logged_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    (moved,) = child_record_rows(_source(codec.encode("RecordsRekeyed", rekeyed), IDENTITY))
    assert (moved.record_id, moved.child_id, moved.fact_rank) == ("r3", "r1", 1)


def test_a_correction_read_back_supersedes_its_entry() -> None:
    concern = sample_event("ConcernRaised")
    correction = sample_event("EntryCorrected") | {"corrects_event_id": concern["event_id"]}
    rows: list[ChronologyEventRow | ChronologyEntryRow] = []
    state: list[list[object]] = []
    for event_type, record in (("ConcernRaised", concern), ("EntryCorrected", correction)):
        event = to_chronology_event(event_type, record, record_id=RECORD, subject_index=0)
        assert event is not None
        state, placement = place(RECORD, state, event)
        updated = chronology_updated(
            event_type, record, record_id=RECORD, child_id=RECORD, subject_index=0,
            placement=placement,
        )  # fmt: skip
        rows += chronology_rows(_source(codec.encode("ChronologyUpdated", updated)))
    events = [to_event(vars_of(r)) for r in rows if isinstance(r, ChronologyEventRow)]
    first, second = build(RECORD, events).entries
    assert first.superseded is not None
    assert first.superseded.by.practitioner_id == correction["corrected_by"]
    assert second.summary == correction["correction_summary"]
    assert (second.entry_id, second.version, second.amendment is not None) == (
        first.entry_id,
        2,
        True,
    )
    versions = [r for r in rows if isinstance(r, ChronologyEntryRow)]
    assert versions[-2].superseded_by_event_id == correction["event_id"]


def test_a_curation_read_back_leaves_the_entry_out_of_print_only() -> None:
    concern = sample_event("ConcernRaised")
    other = sample_event("ConcernRaised") | {"event_id": uuid.uuid4(), "concern_id": "CPOMS-2"}
    curation = sample_event("EntryCurated") | {"curates_event_id": concern["event_id"]}
    rows: list[ChronologyEventRow | ChronologyEntryRow] = []
    state: list[list[object]] = []
    changes = []
    for event_type, record in (
        ("ConcernRaised", concern),
        ("EntryCurated", curation),
        ("ConcernRaised", other),
    ):
        event = to_chronology_event(event_type, record, record_id=RECORD, subject_index=0)
        assert event is not None
        state, placement = place(RECORD, state, event)
        changes.append(placement.change)
        updated = chronology_updated(
            event_type, record, record_id=RECORD, child_id=RECORD, subject_index=0,
            placement=placement,
        )  # fmt: skip
        rows += chronology_rows(_source(codec.encode("ChronologyUpdated", updated)))
    assert changes == ["ENTRY_RECORDED", "ENTRY_CURATED", "ENTRY_RECORDED"]
    # The projected structure: the curated entry's version row says it is not printed.
    versions = {r.source_event_id: r.included for r in rows if isinstance(r, ChronologyEntryRow)}
    assert versions == {concern["event_id"]: False, other["event_id"]: True}
    curated_row = next(
        r for r in rows if isinstance(r, ChronologyEventRow) and r.kind == "curation"
    )
    assert (curated_row.included, curated_row.target_event_id) == (False, concern["event_id"])
    assert curated_row.amended_by == curation["curated_by_role"]
    # Read back: still in the record, left out of the print.
    events = [to_event(vars_of(r)) for r in rows if isinstance(r, ChronologyEventRow)]
    chronology = build(RECORD, events)
    everything = visible_entries(chronology, include_retracted=False, printed=False)
    printed = visible_entries(chronology, include_retracted=False, printed=True)
    assert {e.entry_id for e in everything} == {str(concern["event_id"]), str(other["event_id"])}
    assert [e.entry_id for e in printed] == [str(other["event_id"])]
    kept = next(e for e in everything if e.entry_id == str(concern["event_id"]))
    assert kept.included is False
    assert kept.curated is not None
    assert kept.curated.reason == "excluded"


def vars_of(row: ChronologyEventRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in row.__dataclass_fields__}

"""The pure mappings of the first two projections: record in, rows out, nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from projections.accepted_events import AcceptedEventRow
from projections.accepted_events import rows as accepted_rows
from projections.dead_letters import DeadLetterRow
from projections.dead_letters import rows as dead_letter_rows
from projections.model import SkipRecord, SourceRecord
from schemas import codec
from schemas.topics import ACCEPTED, DEAD_LETTER
from tests.unit.event_samples import OCCURRED_AT, RECORDED_AT, SAMPLE_EVENT_TYPES, sample_event


def _accepted(value: bytes | None, *, offset: int = 7) -> SourceRecord:
    return SourceRecord(topic=ACCEPTED, partition=2, offset=offset, key=b"k", value=value)


@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_every_accepted_event_type_becomes_one_index_row(event_type: str) -> None:
    event = sample_event(event_type)
    event["event_id"] = uuid.uuid4()

    (row,) = accepted_rows(_accepted(codec.encode(event_type, event)))

    assert row == AcceptedEventRow(
        event_id=event["event_id"],
        event_type=event_type,
        agency_kind=event["source"]["agency_kind"],
        agency_id=event["source"]["agency_id"],
        occurred_at=OCCURRED_AT,
        recorded_at=RECORDED_AT,
        topic=ACCEPTED,
        partition=2,
        offset=7,
    )


def test_the_index_row_carries_no_personal_content() -> None:
    event = sample_event("IncidentRecorded")
    (row,) = accepted_rows(_accepted(codec.encode("IncidentRecorded", event)))

    text = repr(row)
    for personal in ("Ava", "Testington", "9990000018", "TS18", "Example Street", "shouting"):
        assert personal not in text


def test_undecodable_bytes_are_skipped_with_a_fixed_reason_not_a_crash() -> None:
    with pytest.raises(SkipRecord) as skipped:
        accepted_rows(_accepted(b"not avro"))
    assert skipped.value.reason == "MalformedPayload"


def test_a_tombstone_is_skipped() -> None:
    with pytest.raises(SkipRecord, match="tombstone"):
        accepted_rows(_accepted(None))


def _dead_letter(
    headers: list[tuple[str, bytes]], value: bytes | None = b"\x00\x01raw"
) -> SourceRecord:
    return SourceRecord(
        topic=DEAD_LETTER,
        partition=0,
        offset=41,
        key=b"pub-key",
        value=value,
        headers=tuple(headers),
    )


def test_a_dead_letter_keeps_reason_origin_and_the_original_bytes() -> None:
    at = datetime(2026, 11, 21, 8, 15, 3, tzinfo=UTC)
    record = _dead_letter(
        [
            ("hub.reason", b"MALFORMED"),
            ("hub.detail", b"unknown framing"),
            ("hub.source.topic", b"hub.ingest.police.v1"),
            ("hub.source.partition", b"3"),
            ("hub.source.offset", b"1029"),
            ("hub.dead_lettered_at", at.isoformat().encode()),
        ]
    )

    assert dead_letter_rows(record) == (
        DeadLetterRow(
            topic=DEAD_LETTER,
            partition=0,
            offset=41,
            reason="MALFORMED",
            detail="unknown framing",
            source_topic="hub.ingest.police.v1",
            source_partition=3,
            source_offset=1029,
            dead_lettered_at=at,
            original_key=b"pub-key",
            original_size=5,
            original=b"\x00\x01raw",
        ),
    )


def test_missing_or_garbled_headers_become_nulls_not_a_lost_dead_letter() -> None:
    record = _dead_letter(
        [("hub.source.partition", b"three"), ("hub.dead_lettered_at", b"yesterday")], value=None
    )

    (row,) = dead_letter_rows(record)

    assert (row.reason, row.detail) == ("UNKNOWN", "")
    assert (row.source_topic, row.source_partition, row.source_offset) == (None, None, None)
    assert row.dead_lettered_at is None
    assert (row.original, row.original_size) == (b"", 0)


def test_a_naive_dead_lettered_at_is_read_as_utc() -> None:
    (row,) = dead_letter_rows(_dead_letter([("hub.dead_lettered_at", b"2026-11-21T08:15:03")]))
    assert row.dead_lettered_at == datetime(2026, 11, 21, 8, 15, 3, tzinfo=UTC)

"""The binary codec: both framings, headers, and errors that never quote the payload."""

from __future__ import annotations

import io

import fastavro
import pytest

import schemas.codec
from schemas.catalogue import catalogue
from schemas.codec import (
    CONFLUENT_MAGIC,
    SINGLE_OBJECT_MAGIC,
    DecodeError,
    Framing,
    InvalidRecord,
    MalformedPayload,
    UnknownEventType,
    UnknownFingerprint,
    UnknownSchemaId,
    UnreleasedSchema,
    decode,
    encode,
    peek_writer,
)
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event

PERSONAL = ("Ava", "Testington", "9990000018", "K808001001001", "TS18")


def _chains_nothing(exc: BaseException) -> bool:
    # A chained fastavro exception would carry its message (and maybe values) into logs.
    return exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


@pytest.mark.parametrize("framing", list(Framing))
@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_every_event_type_round_trips(event_type: str, framing: Framing) -> None:
    record = sample_event(event_type)
    decoded = decode(encode(event_type, record, framing=framing))
    assert decoded.event_type == event_type
    assert decoded.record == record
    # Tuple-compatible, as callers unpack it.
    event_type_again, _ = decoded
    assert event_type_again == event_type


def test_single_object_header_is_magic_then_little_endian_fingerprint() -> None:
    event = catalogue().get("ConcernRaised")
    assert event is not None
    data = encode("ConcernRaised", sample_event("ConcernRaised"))
    assert data[:2] == b"\xc3\x01" == SINGLE_OBJECT_MAGIC
    assert data[2:10] == event.current.fingerprint
    body = fastavro.schemaless_reader(io.BytesIO(data[10:]), event.current.parsed)
    assert isinstance(body, dict)
    assert body["concern_id"] == "CPOMS-88231"


def test_confluent_header_is_zero_then_big_endian_registry_id() -> None:
    data = encode("ConcernRaised", sample_event("ConcernRaised"), framing=Framing.CONFLUENT)
    assert catalogue().registry_id("ConcernRaised", 1) == 5
    # The current version (v2 added `withheld`) is written under its own id, 41.
    schema_id = catalogue().registry_id("ConcernRaised", 2)
    assert schema_id == 41
    assert data[:1] == CONFLUENT_MAGIC
    assert data[1:5] == (41).to_bytes(4, "big") == b"\x00\x00\x00\x29"
    single = encode("ConcernRaised", sample_event("ConcernRaised"))
    assert data[5:] == single[10:], "the Avro body is the same in both framings"


def test_peek_writer_reads_only_the_header() -> None:
    data = encode("VisitRecorded", sample_event("VisitRecorded"))
    assert peek_writer(data[:10]).event_type == "VisitRecorded"


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (b"", MalformedPayload, "unknown framing"),
        (b"{}", MalformedPayload, "unknown framing"),
        (b"\xc3\x01\x01\x02", MalformedPayload, "truncated single-object header"),
        (b"\x00\x00\x01", MalformedPayload, "truncated Confluent header"),
        (b"\xc3\x01" + b"\xee" * 8 + b"\x00", UnknownFingerprint, "unknown schema fingerprint"),
        (b"\x00\x00\x00\x27\x10\x00", UnknownSchemaId, "unknown schema id 10000"),
    ],
)
def test_bad_headers_are_rejected_with_a_reason(
    data: bytes, error: type[DecodeError], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        decode(data)


def test_unknown_fingerprint_reason_names_the_fingerprint() -> None:
    with pytest.raises(UnknownFingerprint) as caught:
        decode(b"\xc3\x01" + bytes(range(8)) + b"\x00")
    assert "0001020304050607" in str(caught.value)
    assert caught.value.code == "unknown_fingerprint"


@pytest.mark.parametrize("framing", list(Framing))
def test_truncated_body_is_malformed_and_the_reason_quotes_nothing(framing: Framing) -> None:
    data = encode("IncidentRecorded", sample_event("IncidentRecorded"), framing=framing)
    for cut in (len(data) - 1, len(data) // 2, 12):
        with pytest.raises(MalformedPayload) as caught:
            decode(data[:cut])
        assert not any(p in str(caught.value) for p in PERSONAL)
        assert _chains_nothing(caught.value)


def test_trailing_bytes_are_malformed() -> None:
    data = encode("PupilLeft", sample_event("PupilLeft"))
    with pytest.raises(MalformedPayload, match="trailing bytes"):
        decode(data + b"\x00")


def test_decode_accepts_bytearray_and_memoryview_but_not_text() -> None:
    data = encode("PupilLeft", sample_event("PupilLeft"))
    assert decode(bytearray(data)).event_type == "PupilLeft"
    assert decode(memoryview(data)).event_type == "PupilLeft"
    with pytest.raises(MalformedPayload, match="not bytes"):
        decode(data.hex())  # type: ignore[arg-type]  # the wrong type is the point


def test_encode_rejects_an_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType):
        encode("IncidentReported", sample_event("IncidentRecorded"))


def test_encode_rejects_a_record_of_another_event_type() -> None:
    with pytest.raises(InvalidRecord) as caught:
        encode("ConcernRaised", sample_event("IncidentRecorded"))
    assert caught.value.problems[0].field == "event_type"


def test_invalid_record_lists_field_paths_without_values() -> None:
    record = sample_event("IncidentRecorded")
    record["risk_level"] = "SEVERE"
    record["children"][1]["present"] = "Ava Testington"
    del record["circumstances"]
    record["nickname"] = "Testington"
    with pytest.raises(InvalidRecord) as caught:
        encode("IncidentRecorded", record)
    problems = dict(caught.value.problems)
    assert problems == {
        "risk_level": "expected one of STANDARD, MEDIUM, HIGH",
        "children[1].present": "expected true or false",
        "circumstances": "is required",
        "nickname": "is not a field of this event",
    }
    assert "Testington" not in str(caught.value) + repr(caught.value.problems)
    assert _chains_nothing(caught.value)


def test_encode_rejects_a_naive_timestamp() -> None:
    record = sample_event("ConcernRaised")
    record["occurred_at"] = record["occurred_at"].replace(tzinfo=None)
    with pytest.raises(InvalidRecord) as caught:
        encode("ConcernRaised", record)
    assert [p.field for p in caught.value.problems] == ["occurred_at"]


def test_a_missing_nullable_field_takes_its_default() -> None:
    record = sample_event("ReferralMade")
    del record["service_name"], record["lawful_basis"]
    decoded = decode(encode("ReferralMade", record)).record
    assert decoded["service_name"] is None
    assert decoded["lawful_basis"] is None


def test_confluent_framing_needs_a_released_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    real = catalogue()

    class NoIds:
        """The real catalogue, but as if no version had a registry id."""

        def get(self, event_type: str) -> object:
            return real.get(event_type)

        def registry_id(self, event_type: str, version: int) -> None:
            return None

    monkeypatch.setattr(schemas.codec, "catalogue", NoIds)
    with pytest.raises(UnreleasedSchema):
        encode("ConcernRaised", sample_event("ConcernRaised"), framing=Framing.CONFLUENT)

"""The faust codec and the kafka-python serializers are the schemas codec, byte for byte."""

from __future__ import annotations

import pytest
from faust.serializers import codecs

from schemas import codec
from schemas.codec import Framing
from schemas.errors import EncodeError, MalformedPayload
from streams.codecs import (
    CODEC_NAME,
    AvroEventDeserializer,
    AvroEventSerializer,
    register_faust_codec,
)
from tests.unit.event_samples import sample_event


def test_faust_codec_round_trips_through_the_registry() -> None:
    register_faust_codec()
    record = sample_event("IncidentRecorded")
    data = codecs.dumps(CODEC_NAME, record)
    assert data == codec.encode("IncidentRecorded", record)
    loaded = codecs.loads(CODEC_NAME, data)
    assert loaded.event_type == "IncidentRecorded"
    assert loaded.record == codec.decode(data).record


def test_kafka_python_serializer_matches_the_codec_in_both_framings() -> None:
    record = sample_event("VisitRecorded")
    for framing in Framing:
        data = AvroEventSerializer(framing).serialize("any-topic", [], record)
        assert data == codec.encode("VisitRecorded", record, framing=framing)
        assert (
            AvroEventDeserializer().deserialize("any-topic", [], data).record["event_id"]
            == (record["event_id"])
        )


def test_serializer_refuses_a_record_without_an_event_type() -> None:
    record = dict(sample_event("VisitRecorded"))
    del record["event_type"]
    with pytest.raises(EncodeError):
        AvroEventSerializer().serialize("t", [], record)


def test_deserializer_raises_the_codec_error_for_garbage() -> None:
    with pytest.raises(MalformedPayload):
        AvroEventDeserializer().deserialize("t", [], b"\x01\x02")

"""decode_fields: a record read only as far as the wanted fields, equal to a full decode in
every one of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.codec import (
    ENVELOPE_FIELDS,
    Decoded,
    Framing,
    MalformedPayload,
    decode,
    decode_fields,
    encode,
)
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "golden" / "codec_vectors.json").read_text()
)["vectors"]


def _envelope(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in ENVELOPE_FIELDS}


def decode_envelope(data: bytes) -> Decoded:
    return decode_fields(data, ENVELOPE_FIELDS)


@pytest.mark.parametrize("framing", list(Framing))
@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_the_envelope_is_the_full_decode_cut_to_its_fields(
    event_type: str, framing: Framing
) -> None:
    data = encode(event_type, sample_event(event_type), framing=framing)
    envelope = decode_envelope(data)
    assert envelope.event_type == event_type
    assert envelope.record == _envelope(decode(data).record)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['event_type']}-{v['framing']}")
def test_bytes_of_released_writers_give_the_same_envelope(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    assert decode_envelope(data) == (decode(data).event_type, _envelope(decode(data).record))


@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_fields_past_the_envelope_come_whole_and_the_rest_is_left_unread(event_type: str) -> None:
    wanted = ENVELOPE_FIELDS | {"subjects", "date_of_birth", "children"}
    data = encode(event_type, sample_event(event_type))
    full = decode(data).record
    cut = decode_fields(data, wanted).record
    assert {k: v for k, v in cut.items() if k in wanted} == {
        k: v for k, v in full.items() if k in wanted
    }
    assert all(cut[k] == full[k] for k in cut)
    if "children" not in full and "date_of_birth" not in full:
        assert len(cut) < len(full), "an event type with no late wanted field is cut short"


def test_a_body_cut_inside_the_envelope_is_malformed() -> None:
    data = encode("IncidentRecorded", sample_event("IncidentRecorded"))
    with pytest.raises(MalformedPayload):
        decode_envelope(data[:20])

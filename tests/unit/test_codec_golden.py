"""Golden byte vectors: the v1 wire format, byte for byte, fingerprints included.

The vectors in golden/codec_vectors.json were made once from event_samples.py. They are
never regenerated: if a schema evolves, these bytes must still decode (into the new
shape), and the new version gets vectors of its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.catalogue import HISTORY_DIR, catalogue, schema_fingerprint
from schemas.codec import Framing, decode, encode, from_json
from tests.unit.event_samples import sample_event

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "golden" / "codec_vectors.json").read_text()
)["vectors"]


def _id(vector: dict[str, Any]) -> str:
    return f"{vector['event_type']}-{vector['framing']}"


def test_vectors_cover_both_framings_and_several_event_types() -> None:
    assert {v["framing"] for v in VECTORS} == {"single-object", "confluent"}
    assert len({v["event_type"] for v in VECTORS}) >= 4


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_the_fingerprint_of_the_released_schema_file_is_pinned(vector: dict[str, Any]) -> None:
    released = HISTORY_DIR / vector["event_type"] / f"v{vector['schema_version']}.avsc"
    assert schema_fingerprint(json.loads(released.read_text())).hex() == vector["fingerprint"]


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_the_header_carries_the_pinned_fingerprint_or_schema_id(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    if vector["framing"] == "single-object":
        assert data[:2] == b"\xc3\x01"
        assert data[2:10].hex() == vector["fingerprint"]
    else:
        assert data[:1] == b"\x00"
        assert int.from_bytes(data[1:5], "big") == vector["registry_id"]
        assert catalogue().registry_ids[vector["registry_id"]] == (
            vector["event_type"],
            vector["schema_version"],
        )


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_golden_bytes_decode_to_the_recorded_event(vector: dict[str, Any]) -> None:
    event_type, record = decode(bytes.fromhex(vector["hex"]))
    assert event_type == vector["event_type"]
    assert record == from_json(vector["record"])


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_encoding_the_recorded_event_gives_the_golden_bytes(vector: dict[str, Any]) -> None:
    event = catalogue().get(vector["event_type"])
    assert event is not None
    if event.current.fingerprint_hex != vector["fingerprint"]:
        pytest.skip("schema evolved since this vector; decoding is still checked above")
    record = from_json(vector["record"])
    assert record == sample_event(vector["event_type"])
    data = encode(vector["event_type"], record, framing=Framing(vector["framing"]))
    assert data.hex() == vector["hex"]

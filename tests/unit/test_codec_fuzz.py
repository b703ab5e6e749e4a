"""Property tests: whatever bytes arrive, decode returns an event or raises a DecodeError."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from schemas.catalogue import catalogue
from schemas.codec import DecodeError, Framing, decode, encode
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event

PERSONAL = ("Ava", "Testington", "9990000018", "K808001001001", "TS18 1AA", "Noah")
VALID = [
    encode(event_type, sample_event(event_type), framing=framing)
    for event_type in SAMPLE_EVENT_TYPES
    for framing in Framing
]
HEADERS = [payload[:10] if payload[0] == 0xC3 else payload[:5] for payload in VALID]


def _decodes_or_rejects(data: bytes) -> None:
    rejected: DecodeError | None = None
    try:
        event_type, record = decode(data)
    except DecodeError as exc:
        rejected = exc
    if rejected is not None:
        reason = str(rejected)
        assert reason
        assert not any(p in reason for p in PERSONAL)
        assert rejected.__cause__ is None
        return
    assert catalogue().get(event_type) is not None
    assert isinstance(record, dict)
    assert record["event_id"] is not None


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
@example(b"")
@example(b"\xc3")
@example(b"\x00")
def test_random_bytes_never_crash_decode(data: bytes) -> None:
    _decodes_or_rejects(data)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(HEADERS), st.binary(max_size=400))
def test_a_valid_header_with_a_random_body_never_crashes_decode(header: bytes, body: bytes) -> None:
    _decodes_or_rejects(header + body)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid payload with bytes flipped, inserted, deleted or the tail cut."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=8))]
        elif action == "cut":
            del data[at:]
    return bytes(data)


@settings(max_examples=1500, deadline=None)
@given(mutated())
def test_mutated_payloads_never_crash_decode(data: bytes) -> None:
    _decodes_or_rejects(data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(VALID), st.integers(min_value=0, max_value=2**31))
def test_huge_lengths_in_the_body_are_rejected_quickly(payload: bytes, length: int) -> None:
    # A zig-zag varint claiming a very long string or array right after the header.
    header = payload[:10] if payload[0] == 0xC3 else payload[:5]
    varint = bytearray()
    n = length << 1
    while True:
        byte, n = n & 0x7F, n >> 7
        varint.append(byte | (0x80 if n else 0))
        if not n:
            break
    _decodes_or_rejects(header + bytes(varint) + payload[len(header) :])

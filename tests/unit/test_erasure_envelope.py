"""The envelope: tokens open only under their key, are deterministic, bind their key ids, and
a wrapped data key opens only under its master key."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.erasure import envelope
from streams.erasure.envelope import UnreadableToken

KEY_A = hashlib.sha256(b"a").digest()
KEY_B = hashlib.sha256(b"b").digest()
ID_A = envelope.key_id("nhs_number", "9990000018", secret=b"s")
ID_B = envelope.key_id("upn", "K808001001001", secret=b"s")


@given(st.text(max_size=300))
def test_a_sealed_field_opens_to_its_plaintext(text: str) -> None:
    token = envelope.seal(text, key_ids=(ID_A,), key=KEY_A)
    parsed = envelope.parse(token)
    assert parsed is not None
    assert parsed.key_ids == (ID_A,)
    assert envelope.open_sealed(parsed, key=KEY_A) == text


def test_sealing_is_deterministic_and_hides_the_plaintext() -> None:
    first = envelope.seal("Ava Example", key_ids=(ID_A,), key=KEY_A)
    assert first == envelope.seal("Ava Example", key_ids=(ID_A,), key=KEY_A)
    assert first != envelope.seal("Ava Exampl", key_ids=(ID_A,), key=KEY_A)
    assert "Ava" not in first
    assert first.startswith(f"enc:v1:{ID_A}:")


def test_a_token_does_not_open_under_another_key_or_moved_to_another_key_id() -> None:
    token = envelope.parse(envelope.seal("secret", key_ids=(ID_A,), key=KEY_A))
    assert token is not None
    with pytest.raises(UnreadableToken):
        envelope.open_sealed(token, key=KEY_B)
    moved = envelope.Token(key_ids=(ID_B,), sealed=token.sealed)
    with pytest.raises(UnreadableToken):
        envelope.open_sealed(moved, key=KEY_A)


def test_key_ids_are_keyed_hashes_of_the_normalised_identifier() -> None:
    assert envelope.key_id("nhs_number", "999 000 0018", secret=b"s") == ID_A
    assert envelope.key_id("nhs_number", "9990000018", secret=b"other") != ID_A
    assert envelope.key_id("upn", "9990000018", secret=b"s") != ID_A
    assert "9990000018" not in ID_A
    assert len(ID_A) == 32


def test_a_composite_key_needs_every_part() -> None:
    both = envelope.composite_key([KEY_A, KEY_B])
    assert both not in (KEY_A, KEY_B)
    assert len(both) == 32
    assert envelope.composite_key([KEY_A]) == KEY_A


def test_wrapped_keys_open_only_under_the_master_key_and_key_id() -> None:
    wrapped = envelope.wrap(KEY_A, key_id=ID_A, master=KEY_B, nonce=bytes(12))
    assert envelope.unwrap(wrapped, key_id=ID_A, master=KEY_B) == KEY_A
    with pytest.raises(UnreadableToken):
        envelope.unwrap(wrapped, key_id=ID_A, master=KEY_A)
    with pytest.raises(UnreadableToken):
        envelope.unwrap(wrapped, key_id=ID_B, master=KEY_B)


def test_only_whole_tokens_parse() -> None:
    token = envelope.seal("x", key_ids=(ID_A, ID_B), key=KEY_A)
    assert envelope.parse(token) is not None
    assert envelope.parse("prefix " + token) is None
    assert envelope.parse("Ava") is None
    assert not envelope.is_sealed("enc:v1:nothing")

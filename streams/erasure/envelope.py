"""The envelope of one personal field: ``enc:v1:<key ids>:<base64url(nonce | ciphertext+tag)>``.

AES-256-GCM under a data key; the key ids (joined by ``.``) are the additional authenticated
data, so a token cannot be moved under another key id. The nonce is derived from the key and
the plaintext (HMAC-SHA256, first 12 bytes): the same field encrypts to the same token, so a
redelivered event is byte-for-byte the same. Several key ids name a composite key (HKDF of the
data keys in the order named): erasing any one of them shreds the field.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX: Final = "enc:v1:"
# What an erased (or otherwise unreadable) field reads as.
ERASED: Final = "[erased]"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
_KEY_ID_HEX: Final = 32
# A token anywhere in a text (summaries are built from several fields, some of them tokens).
TOKEN_RE: Final = re.compile(r"enc:v1:([0-9a-f]{32}(?:\.[0-9a-f]{32})*):([A-Za-z0-9_-]{38,})")


class UnreadableToken(ValueError):
    """A token that does not open under its key (tampered, truncated or the wrong key)."""


@dataclass(frozen=True, slots=True)
class Token:
    """A parsed token: the key ids it names and its sealed bytes."""

    key_ids: tuple[str, ...]
    sealed: bytes


def key_id(kind: str, value: str, *, secret: bytes) -> str:
    """The key id of a subject identity: keyed hash of '<kind>:<normalised value>' (no content)."""
    normalised = "".join(value.split()).upper()
    message = f"{kind}:{normalised}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:_KEY_ID_HEX]


def composite_key(keys: Sequence[bytes]) -> bytes:
    """The cipher key for a list of data keys: the key itself when there is one, else HKDF."""
    if len(keys) == 1:
        return keys[0]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"hub composite v1")
    return hkdf.derive(b"".join(keys))


def _aad(key_ids: Sequence[str]) -> bytes:
    return (PREFIX + ".".join(key_ids)).encode()


@functools.lru_cache(maxsize=8192)
def _aead(key: bytes) -> AESGCM:
    # Building the cipher costs about as much as one encryption: keep one per hot key.
    return AESGCM(key)


def seal(plaintext: str, *, key_ids: Sequence[str], key: bytes) -> str:
    """The token for `plaintext` under `key` (the composite key of `key_ids`)."""
    aad = _aad(key_ids)
    data = plaintext.encode()
    nonce = hmac.digest(key, aad + b"\x00" + data, "sha256")[:NONCE_BYTES]
    sealed = nonce + _aead(key).encrypt(nonce, data, aad)
    body = base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
    return f"{PREFIX}{'.'.join(key_ids)}:{body}"


def parse(text: str) -> Token | None:
    """The token `text` is, or None when it is not exactly one token."""
    found = TOKEN_RE.fullmatch(text)
    return None if found is None else token_of(found)


def token_of(found: re.Match[str]) -> Token | None:
    """The token a TOKEN_RE match found (None for a shortened one)."""
    body = found.group(2)
    if len(body) % 4 == 1:  # not a length base64 produces: a shortened token
        return None
    sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return Token(key_ids=tuple(found.group(1).split(".")), sealed=sealed)


def open_sealed(token: Token, *, key: bytes) -> str:
    """The plaintext of a token; UnreadableToken when it does not open under `key`."""
    nonce, ciphertext = token.sealed[:NONCE_BYTES], token.sealed[NONCE_BYTES:]
    try:
        return _aead(key).decrypt(nonce, ciphertext, _aad(token.key_ids)).decode()
    except (InvalidTag, ValueError) as exc:
        raise UnreadableToken("the token does not open under its key") from exc


def is_sealed(value: object) -> bool:
    """True for a string that is a token."""
    return isinstance(value, str) and value.startswith(PREFIX) and parse(value) is not None


def wrap(data_key: bytes, *, key_id: str, master: bytes, nonce: bytes) -> bytes:
    """A data key wrapped under the master key (AES-GCM, the key id as AAD): nonce | ct+tag."""
    return nonce + AESGCM(master).encrypt(nonce, data_key, key_id.encode())


def unwrap(wrapped: bytes, *, key_id: str, master: bytes) -> bytes:
    """The data key inside `wrapped`; UnreadableToken under the wrong master key or key id."""
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], key_id.encode())
    except InvalidTag as exc:
        raise UnreadableToken("the data key does not unwrap under this master key") from exc

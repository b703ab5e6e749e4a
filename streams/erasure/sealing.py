"""Sealing a whole event at ingest, and revealing one for a stage that needs plaintext."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.erasure.fields import for_identity, plan_sealing, reveal_record, seal_record
from streams.erasure.keyring import Keyring


def seal_event(
    event_type: str,
    record: Mapping[str, Any],
    *,
    keyring: Keyring,
    secret: bytes,
    source_key: bytes | None = None,
) -> tuple[dict[str, Any], bytes | None]:
    """`record` with its personal fields sealed under its subjects' keys (created when new),
    and the publisher's key (their reference for the primary subject: personal) sealed under
    the record's own subject key, for the headers that carry it past ingest.

    Key ids are computed from the plaintext identifiers; one key-store round trip at most for
    the keys the keyring has not cached.
    """
    plan = plan_sealing(record, secret=secret)
    keys = keyring.keys_for_writing(plan.key_ids)
    sealed = seal_record(event_type, record, plan, lambda text, ids: keyring.seal(text, ids, keys))
    if not source_key:
        return sealed, source_key
    key_text = source_key.decode(errors="replace")
    return sealed, keyring.seal(key_text, plan.own_ids, keys).encode()


def reveal_event(record: Mapping[str, Any], *, keyring: Keyring) -> dict[str, Any]:
    """A sealed record with every token revealed (erased fields read as ERASED)."""
    return reveal_record(record, keyring.reveal_text)


def reveal_for_identity(record: Mapping[str, Any], *, keyring: Keyring) -> dict[str, Any]:
    """A sealed record as the identity stage hashes it: revealed, erased identifiers absent."""
    return for_identity(reveal_event(record, keyring=keyring))

"""The read API's decrypt hook: sealed fields back to plaintext at read time, for a reader the
API has already authorised. Erased (or unreadable) fields read as ``[erased]``.

Call sites (projections/api, the lead's): wrap what a handler returns before rendering, e.g.
``body = reveal(body)`` for JSON and ``reveal_text(s)`` for a single string. One keyring per
process (``streams.keystore.process_keyring``, HUB_POSTGRES_DSN), with its 60 s cache.
"""

from __future__ import annotations

from typing import TypeVar

from streams.erasure.envelope import PREFIX
from streams.keystore import process_keyring

T = TypeVar("T")


def reveal_text(text: str) -> str:
    """`text` with every token in it revealed."""
    if PREFIX not in text:
        return text
    return process_keyring().reveal_text(text)


def _sealed(value: object) -> bool:
    if isinstance(value, str):
        return PREFIX in value
    if isinstance(value, dict):
        return any(_sealed(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_sealed(v) for v in value)
    return False


def reveal(value: T) -> T:
    """A JSON-like value (dicts, lists, strings) with every token in its strings revealed.

    A value with no token in it is returned as it is, without reaching for the key store."""
    if not _sealed(value):
        return value
    revealed: T = process_keyring().reveal(value)  # type: ignore[assignment]
    return revealed

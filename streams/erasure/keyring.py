"""One keyring interface for every process: data keys by id, unwrapped once and cached.

The store (a port: PostgreSQL in ``streams.keystore``) keeps each data key wrapped under the
master key, or a tombstone once the key is erased. The cache holds unwrapped keys and erasure
tombstones for ``ttl_s`` seconds, so a running process stops reading an erased child within the
TTL. An erased or unknown key reads as ``ERASED``; a field to be written under an erased key is
written as ``ERASED`` too (a new event about an erased identity stays erased).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from streams.erasure import envelope
from streams.erasure.envelope import ERASED, TOKEN_RE, Token, UnreadableToken

# The values `Keyring.reveal` looks into: strings and the containers that may hold them.
_WALKED: Final = (str, dict, list, tuple)

# The cache's entry: when it expires, and the key (None: erased or never created).
_Entry = tuple[float, bytes | None]


class KeyStore(Protocol):
    """Where wrapped data keys live."""

    def fetch(self, key_ids: Collection[str]) -> Mapping[str, bytes | None]:
        """For each known id: its wrapped key, or None when erased. Unknown ids are absent."""
        ...

    def create(self, wrapped: Mapping[str, bytes]) -> Mapping[str, bytes | None]:
        """Insert these keys unless their ids exist; return what is stored for each id now."""
        ...


@dataclass(slots=True, kw_only=True)
class Keyring:
    """Data keys for sealing and revealing fields, with a TTL cache of unwrapped keys."""

    store: KeyStore
    master: bytes
    clock: Callable[[], float]  # monotonic seconds, passed in
    random_bytes: Callable[[int], bytes]  # os.urandom in production
    ttl_s: float = 60.0
    max_entries: int = 200_000
    _cache: dict[str, _Entry] = field(default_factory=dict)
    _composites: dict[tuple[tuple[str, ...], tuple[bytes | None, ...]], bytes] = field(
        default_factory=dict
    )

    def _cached(self, key_ids: Collection[str]) -> tuple[dict[str, bytes | None], list[str]]:
        now = self.clock()
        found: dict[str, bytes | None] = {}
        missing: list[str] = []
        for kid in key_ids:
            entry = self._cache.get(kid)
            if entry is not None and entry[0] > now:
                found[kid] = entry[1]
            else:
                missing.append(kid)
        return found, missing

    def _remember(self, key_id: str, key: bytes | None) -> None:
        if len(self._cache) >= self.max_entries:
            self._cache.clear()  # crude but bounded; a refill costs one store read per key
        self._cache[key_id] = (self.clock() + self.ttl_s, key)

    def _unwrap(self, key_id: str, wrapped: bytes | None) -> bytes | None:
        if wrapped is None:
            return None
        return envelope.unwrap(wrapped, key_id=key_id, master=self.master)

    def keys_for_reading(self, key_ids: Collection[str]) -> dict[str, bytes | None]:
        """The data key of each id (None: erased or unknown)."""
        found, missing = self._cached(key_ids)
        if missing:
            stored = self.store.fetch(missing)
            for kid in missing:
                key = self._unwrap(kid, stored.get(kid))
                self._remember(kid, key)
                found[kid] = key
        return found

    def keys_for_writing(self, key_ids: Collection[str]) -> dict[str, bytes | None]:
        """The data key of each id, creating the ones that do not exist (None: erased)."""
        found, missing = self._cached(key_ids)
        # A cached None may be "unknown" to a reader; a writer must ask the store again.
        missing += [kid for kid, key in found.items() if key is None]
        if not missing:
            return found
        stored = dict(self.store.fetch(missing))
        absent = [kid for kid in missing if kid not in stored]
        if absent:
            fresh = {
                kid: envelope.wrap(
                    self.random_bytes(envelope.KEY_BYTES),
                    key_id=kid,
                    master=self.master,
                    nonce=self.random_bytes(envelope.NONCE_BYTES),
                )
                for kid in absent
            }
            stored.update(self.store.create(fresh))
        for kid in missing:
            key = self._unwrap(kid, stored.get(kid))
            self._remember(kid, key)
            found[kid] = key
        return found

    def forget(self, key_ids: Collection[str]) -> None:
        """Drop cached keys (after erasing them in this process)."""
        for kid in key_ids:
            self._cache.pop(kid, None)

    def seal(self, plaintext: str, key_ids: Sequence[str], keys: Mapping[str, bytes | None]) -> str:
        """The token of `plaintext` under the composite of `key_ids` (ERASED if any is erased)."""
        if len(key_ids) == 1:
            key = keys.get(key_ids[0])
        else:
            parts = [keys.get(kid) for kid in key_ids]
            key = None if any(p is None for p in parts) else self._composite(key_ids, parts)
        if key is None:
            return ERASED
        return envelope.seal(plaintext, key_ids=key_ids, key=key)

    def _composite(self, key_ids: Sequence[str], parts: Sequence[bytes | None]) -> bytes:
        """HKDF of the parts, remembered by (key ids, parts): one derivation per composite."""
        cache_key = (tuple(key_ids), tuple(parts))
        found = self._composites.get(cache_key)
        if found is None:
            if len(self._composites) >= self.max_entries:
                self._composites.clear()
            found = envelope.composite_key([p for p in parts if p is not None])
            self._composites[cache_key] = found
        return found

    def open(self, token: Token) -> str:
        """The plaintext of a token, or ERASED when any of its keys is gone or it is unreadable."""
        keys = self.keys_for_reading(token.key_ids)
        parts = [keys.get(kid) for kid in token.key_ids]
        present = [p for p in parts if p is not None]
        if len(present) != len(parts):
            return ERASED
        key = present[0] if len(present) == 1 else self._composite(token.key_ids, parts)
        try:
            return envelope.open_sealed(token, key=key)
        except UnreadableToken:
            return ERASED

    def reveal_text(self, text: str, opened: dict[str, str] | None = None) -> str:
        """`text` with every token in it replaced by its plaintext (or ERASED).

        `opened` remembers tokens already opened, for the length of one answer: sealing is
        deterministic, so a name repeated across a chronology's entries is the same token."""
        if envelope.PREFIX not in text:
            return text
        memo: dict[str, str] = {} if opened is None else opened

        def one(found: re.Match[str]) -> str:
            whole = found.group(0)
            plain = memo.get(whole)
            if plain is None:
                token = envelope.token_of(found)
                plain = memo[whole] = ERASED if token is None else self.open(token)
            return plain

        return TOKEN_RE.sub(one, text)

    def reveal(self, value: object) -> object:
        """A JSON-like value with every token in its strings revealed (dicts and lists walked),
        each distinct token opened once."""
        return self._reveal(value, {})

    def _reveal(self, value: object, opened: dict[str, str]) -> object:
        if isinstance(value, str):
            return self.reveal_text(value, opened)
        if isinstance(value, dict):
            # Scalars (times, ids, flags: most of a table row) are kept without a call each.
            return {
                k: self._reveal(v, opened) if isinstance(v, _WALKED) else v
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._reveal(v, opened) for v in value]
        return value

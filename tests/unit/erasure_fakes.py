"""A hand-written in-memory key store and keyring for the erasure unit tests."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from streams.erasure.keyring import Keyring

MASTER = hashlib.sha256(b"unit-test master key").digest()
ID_SECRET = b"unit-test id secret"


@dataclass
class MemoryKeyStore:
    """erasure_keys as a dict; counts round trips so tests can check the cache."""

    rows: dict[str, bytes | None] = field(default_factory=dict)
    fetches: int = 0
    creates: int = 0

    def fetch(self, key_ids: Collection[str]) -> dict[str, bytes | None]:
        self.fetches += 1
        return {k: self.rows[k] for k in key_ids if k in self.rows}

    def create(self, wrapped: Mapping[str, bytes]) -> dict[str, bytes | None]:
        self.creates += 1
        for key_id, value in wrapped.items():
            self.rows.setdefault(key_id, value)
        return {k: self.rows[k] for k in wrapped}

    def erase(self, key_ids: Collection[str]) -> None:
        for key_id in key_ids:
            self.rows[key_id] = None


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def counter_bytes() -> object:
    """Deterministic 'random' bytes (distinct on every call)."""
    state = {"n": 0}

    def draw(n: int) -> bytes:
        state["n"] += 1
        return hashlib.sha256(f"draw {state['n']}".encode()).digest()[:n]

    return draw


def keyring(
    store: MemoryKeyStore | None = None, clock: FakeClock | None = None, ttl_s: float = 60.0
) -> Keyring:
    return Keyring(
        store=store if store is not None else MemoryKeyStore(),
        master=MASTER,
        clock=clock if clock is not None else FakeClock(),
        random_bytes=counter_bytes(),  # type: ignore[arg-type]
        ttl_s=ttl_s,
    )

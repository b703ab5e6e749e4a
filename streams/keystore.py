"""The key store in PostgreSQL (table erasure_keys) and the keyring every process builds from it.

The master key comes from HUB_MASTER_KEY (32 bytes, base64) or the file HUB_MASTER_KEY_FILE;
without either, a DEVELOPMENT-ONLY key for the local stack and the tests (synthetic people
only), logged as such, as HUB_IDENTITY_KEY does. The id secret (key ids are keyed hashes of a
subject's identifier) is HUB_IDENTITY_KEY: stable for the life of the log, like the index.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import psycopg

from streams.erasure.keyring import Keyring
from streams.erasure.sealing import reveal_for_identity

log = logging.getLogger(__name__)

MASTER_KEY_ENV: Final = "HUB_MASTER_KEY"
MASTER_KEY_FILE_ENV: Final = "HUB_MASTER_KEY_FILE"
# DEVELOPMENT ONLY: the local stack's and the tests' master key, for synthetic people. Every real
# deployment sets HUB_MASTER_KEY (or a file) to 32 random bytes and keeps it out of the database.
DEV_ONLY_MASTER_KEY: Final = hashlib.sha256(
    b"hub local stack DEV ONLY master key - synthetic data only"
).digest()


def master_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The master key: HUB_MASTER_KEY (base64), else HUB_MASTER_KEY_FILE, else the dev key."""
    env = os.environ if environ is None else environ
    text = env.get(MASTER_KEY_ENV, "")
    if not text and env.get(MASTER_KEY_FILE_ENV):
        text = Path(env[MASTER_KEY_FILE_ENV]).read_text().strip()
    if not text:
        log.warning("%s is not set: using the DEVELOPMENT-ONLY master key", MASTER_KEY_ENV)
        return DEV_ONLY_MASTER_KEY
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise RuntimeError(f"{MASTER_KEY_ENV} must be base64") from None
    if len(key) != 32:
        raise RuntimeError(f"{MASTER_KEY_ENV} must decode to 32 bytes, not {len(key)}")
    return key


class PostgresKeyStore:
    """erasure_keys over one lazily opened autocommit connection (thread-safe by a lock).

    The database being away is not a fault of the record in hand: an operation waits and
    retries (backing off to RETRY_CAP_S) until PostgreSQL answers, so the stage pauses and its
    lag grows (the lag alert fires) instead of dead-lettering every event of the outage.
    """

    RETRY_FIRST_S: Final = 0.2
    RETRY_CAP_S: Final = 5.0

    def __init__(self, dsn: str, *, sleep: Any = time.sleep) -> None:
        self._dsn = dsn
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._lock = threading.Lock()
        self._sleep = sleep

    def _retrying(self, operation: Any) -> Any:
        delay = self.RETRY_FIRST_S
        while True:
            try:
                return operation()
            except psycopg.OperationalError as exc:
                log.warning(
                    "key store unavailable (%s); retrying in %.1f s", type(exc).__name__, delay
                )
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                self._sleep(delay)
                delay = min(delay * 2, self.RETRY_CAP_S)

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._dsn, autocommit=True)
        return self._conn

    def fetch(self, key_ids: Collection[str]) -> dict[str, bytes | None]:
        with self._lock:
            rows = self._retrying(
                lambda: (
                    self._connection()
                    .execute(
                        "SELECT key_id, wrapped FROM erasure_keys WHERE key_id = ANY(%s)",
                        (list(key_ids),),
                    )
                    .fetchall()
                )
            )
        return {str(k): (None if w is None else bytes(w)) for k, w in rows}

    def create(self, wrapped: Mapping[str, bytes]) -> dict[str, bytes | None]:
        ids, values = list(wrapped), list(wrapped.values())
        with self._lock:
            # Concurrent workers may create the same id: the first insert wins, all read it back.
            self._retrying(
                lambda: self._connection().execute(
                    "INSERT INTO erasure_keys (key_id, wrapped) SELECT * FROM"
                    " unnest(%s::text[], %s::bytea[]) ON CONFLICT (key_id) DO NOTHING",
                    (ids, values),
                )
            )
        return self.fetch(ids)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def build_keyring(dsn: str, environ: Mapping[str, str] | None = None) -> Keyring:
    """A keyring over the PostgreSQL key store, with the production clock and randomness."""
    return Keyring(
        store=PostgresKeyStore(dsn),
        master=master_key(environ),
        clock=time.monotonic,
        random_bytes=os.urandom,
    )


@contextlib.contextmanager
def open_keyring(dsn: str, environ: Mapping[str, str] | None = None) -> Iterator[Keyring]:
    """A keyring whose store connection is closed on leaving (tools and tests)."""
    store = PostgresKeyStore(dsn)
    try:
        yield Keyring(
            store=store, master=master_key(environ), clock=time.monotonic, random_bytes=os.urandom
        )
    finally:
        store.close()


def id_secret(environ: Mapping[str, str] | None = None) -> bytes:
    """The secret key ids are hashed under (the identity key: stable for the life of the log)."""
    from streams.agents.identity import identity_key

    return identity_key(environ)


def postgres_dsn(environ: Mapping[str, str] | None = None) -> str:
    """HUB_POSTGRES_DSN (the key store's database), or an error saying how to set it."""
    dsn = (os.environ if environ is None else environ).get("HUB_POSTGRES_DSN", "")
    if not dsn:
        raise RuntimeError("HUB_POSTGRES_DSN not set: the key store is in PostgreSQL")
    return dsn


_PROCESS: dict[str, Keyring] = {}


@atexit.register
def _close_process_keyrings() -> None:
    """Close the key stores' connections at exit rather than leave them to the collector."""
    for ring in _PROCESS.values():
        if isinstance(ring.store, PostgresKeyStore):
            ring.store.close()
    _PROCESS.clear()


def process_keyring() -> Keyring:
    """This process's keyring (one cache for every stage), built at first use from the env."""
    dsn = postgres_dsn()  # one per database: a test session may point at several
    if dsn not in _PROCESS:
        _PROCESS[dsn] = build_keyring(dsn)
    return _PROCESS[dsn]


def reveal_for_identity_stage(record: Mapping[str, Any]) -> dict[str, Any]:
    """The identity stage's one call: a sealed accepted record revealed in memory for hashing
    (erased identifiers absent). Nothing revealed is written anywhere."""
    return reveal_for_identity(record, keyring=process_keyring())

"""The key store waits out a database outage instead of failing the record in hand."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from streams import keystore


class FakeConnection:
    closed = False

    def __init__(self, rows: list[tuple[str, bytes]]) -> None:
        self.rows = rows

    def execute(self, query: str, params: Any = None) -> FakeConnection:
        return self

    def fetchall(self) -> list[tuple[str, bytes]]:
        return self.rows

    def close(self) -> None:
        self.closed = True


def test_an_outage_is_retried_with_backoff_until_the_database_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[str] = []

    def connect(dsn: str, **_: Any) -> FakeConnection:
        attempts.append(dsn)
        if len(attempts) <= 4:  # PostgreSQL restarting: refused four times
            raise psycopg.OperationalError("connection refused")
        return FakeConnection([("k1", b"wrapped")])

    monkeypatch.setattr(psycopg, "connect", connect)
    slept: list[float] = []
    store = keystore.PostgresKeyStore("postgresql://db/hub", sleep=slept.append)
    assert store.fetch(["k1"]) == {"k1": b"wrapped"}
    assert len(attempts) == 5
    assert slept == [0.2, 0.4, 0.8, 1.6]  # doubling, capped at RETRY_CAP_S


def test_the_backoff_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    failures = iter(range(9))

    def connect(dsn: str, **_: Any) -> FakeConnection:
        if next(failures, None) is not None:
            raise psycopg.OperationalError("the database system is starting up")
        return FakeConnection([])

    monkeypatch.setattr(psycopg, "connect", connect)
    slept: list[float] = []
    store = keystore.PostgresKeyStore("postgresql://db/hub", sleep=slept.append)
    assert store.create({"k2": b"w"}) == {}
    assert max(slept) == keystore.PostgresKeyStore.RETRY_CAP_S
    assert len(slept) == 9

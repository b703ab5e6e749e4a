"""Erasing a child (crypto-shredding), legal holds, and the facts retention rules need.

`erase_child`: refuse under a legal hold; find the child's records and every key its subjects
were sealed under; in one transaction tombstone the keys, replace the erased tokens in the read
models by ``[erased]`` and blank the free-text reason of the audit rows about the child (who,
when, which child id and which view stay: the audit stub); then publish SubjectErased. The event
id is uuid5 of the child and its key ids, so a re-run (after a crash between the two steps) is
the same fact, and every step is idempotent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import psycopg
from psycopg import sql

from projections.chronology.queries import CURRENT_RECORDS
from schemas import codec, topics
from streams.erasure.envelope import ERASED
from streams.erasure.retention import ChildFacts

ERASURE_NAMESPACE: Final = uuid.UUID("6f1d8a52-3c47-5b9e-a0d4-2e8c7b15f930")
HUB_SOURCE: Final = {
    "agency_id": "hub",
    "agency_kind": "LOCAL_AUTHORITY",
    "system": "hub-erasure",
    "practitioner_role": None,
}

# Read-model text that may carry an erased child's tokens: (table, columns, jsonb?, scope), the
# scope being which rows to look at: those of the erased subjects' events, or the child's records.
_TOKEN_COLUMNS: Final = (
    (
        "chronology_events",
        ("summary", "impact_on_child", "action_taken", "reason", "amended_by"),
        False,
        "event_id",
    ),
    ("shares", ("content",), True, "source_event_id"),
    ("encompass_alerts", ("content",), True, "record_id"),
)


class LegalHoldError(RuntimeError):
    """The child is on legal hold: nothing was erased."""


class NothingToErase(RuntimeError):
    """No record or key is known for this child id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureTarget:
    child_id: str
    record_ids: tuple[str, ...]
    key_ids: tuple[str, ...]
    event_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureOutcome:
    event_id: uuid.UUID
    target: ErasureTarget
    keys_deleted: int
    rows_blanked: int


def token_pattern(key_ids: Sequence[str]) -> str:
    """A PostgreSQL regular expression matching any token sealed under one of `key_ids`."""
    alternatives = "|".join(k for k in key_ids if k.isalnum())
    return rf"enc:v1:(?:[0-9a-f]{{32}}\.)*(?:{alternatives})(?:\.[0-9a-f]{{32}})*:[A-Za-z0-9_-]+"


def find_target(conn: psycopg.Connection[Any], child_id: str) -> ErasureTarget:
    """The child's current records and every key and event its subjects are under."""
    records = [
        r[0]
        for r in conn.execute(
            sql.SQL(CURRENT_RECORDS).format(child_records=sql.Identifier("child_records")),
            {"child": child_id},
        )
    ]
    rows = conn.execute(
        "SELECT DISTINCT s.key_id, s.event_id FROM erasure_resolutions r "
        "JOIN erasure_subjects s USING (event_id, subject_index) WHERE r.record_id = ANY(%s)",
        (records,),
    ).fetchall()
    key_ids = tuple(sorted({r[0] for r in rows}))
    events = {r[1] for r in rows}
    if key_ids:  # every event sealed under those keys (e.g. another agency's, resolved later)
        events |= {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT event_id FROM erasure_subjects WHERE key_id = ANY(%s)",
                (list(key_ids),),
            )
        }
    return ErasureTarget(
        child_id=child_id,
        record_ids=tuple(records),
        key_ids=key_ids,
        event_ids=tuple(sorted(events, key=str)),
    )


def on_hold(conn: psycopg.Connection[Any], child_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM legal_holds WHERE child_id = %s", (child_id,)).fetchone()
        is not None
    )


def set_hold(dsn: str, child_id: str, *, reason: str, set_by: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO legal_holds (child_id, reason, set_by) VALUES (%s, %s, %s) "
            "ON CONFLICT (child_id) DO UPDATE SET reason = EXCLUDED.reason, "
            "set_by = EXCLUDED.set_by, set_at = now()",
            (child_id, reason, set_by),
        )


def clear_hold(dsn: str, child_id: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute("DELETE FROM legal_holds WHERE child_id = %s", (child_id,))
        return cur.rowcount > 0


def list_holds(dsn: str) -> list[tuple[str, str, str, datetime]]:
    with psycopg.connect(dsn) as conn:
        return [
            (str(a), str(b), str(c), d)
            for a, b, c, d in conn.execute(
                "SELECT child_id, reason, set_by, set_at FROM legal_holds ORDER BY set_at"
            )
        ]


def _blank(conn: psycopg.Connection[Any], target: ErasureTarget) -> int:
    pattern = token_pattern(target.key_ids)
    changed = 0
    for table, columns, is_json, scope in _TOKEN_COLUMNS:
        ids: list[Any] = list(target.record_ids) if scope == "record_id" else list(target.event_ids)
        if not ids:
            continue
        sets = sql.SQL(", ").join(
            sql.SQL(
                "{c} = regexp_replace({c}::text, %(p)s, %(e)s, 'g')::jsonb"
                if is_json
                else "{c} = regexp_replace({c}, %(p)s, %(e)s, 'g')"
            ).format(c=sql.Identifier(c))
            for c in columns
        )
        touched = sql.SQL(" OR ").join(
            sql.SQL("{c}::text ~ %(p)s").format(c=sql.Identifier(c)) for c in columns
        )
        cur = conn.execute(
            sql.SQL("UPDATE {t} SET {sets} WHERE {scope} = ANY(%(ids)s) AND ({touched})").format(
                t=sql.Identifier(table), sets=sets, scope=sql.Identifier(scope), touched=touched
            ),
            {"p": pattern, "e": ERASED, "ids": ids},
        )
        changed += cur.rowcount
    cur = conn.execute(
        "UPDATE audit_log SET reason = %s WHERE child_id = %s AND reason <> %s",
        (ERASED, target.child_id, ERASED),
    )
    return changed + cur.rowcount


def subject_erased(
    event_id: uuid.UUID,
    target: ErasureTarget,
    *,
    at: datetime,
    trigger: str,
    rule: str | None,
    reason: str,
    erased_by: str,
) -> dict[str, Any]:
    """The SubjectErased record (ids only)."""
    return {
        "event_id": event_id,
        "event_type": "SubjectErased",
        "occurred_at": at,
        "recorded_at": at,
        "source": dict(HUB_SOURCE),
        "subjects": [],
        "lawful_basis": None,
        "child_id": target.child_id,
        "record_ids": list(target.record_ids),
        "key_ids": list(target.key_ids),
        "trigger": trigger,
        "rule": rule,
        "reason": reason,
        "erased_by": erased_by,
    }


def erase_child(
    *,
    dsn: str,
    bootstrap: str,
    child_id: str,
    reason: str,
    erased_by: str,
    now: datetime,
    trigger: str = "REQUEST",
    rule: str | None = None,
) -> ErasureOutcome:
    """Erase one child (see the module doc). LegalHoldError / NothingToErase change nothing."""
    with psycopg.connect(dsn) as conn:
        if on_hold(conn, child_id):
            raise LegalHoldError(f"child {child_id} is on legal hold: not erased")
        target = find_target(conn, child_id)
        if not target.key_ids:
            raise NothingToErase(f"no records or keys known for child {child_id}")
        event_id = uuid.uuid5(ERASURE_NAMESPACE, f"{child_id}:{','.join(target.key_ids)}")
        with conn.transaction():
            deleted = conn.execute(
                "UPDATE erasure_keys SET wrapped = NULL, erased_at = %s, erasure_event_id = %s "
                "WHERE key_id = ANY(%s) AND wrapped IS NOT NULL",
                (now, event_id, list(target.key_ids)),
            ).rowcount
            blanked = _blank(conn, target)
            conn.execute(
                "INSERT INTO erasures (erasure_event_id, child_id, trigger, reason, erased_by,"
                " key_count, record_count, erased_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (erasure_event_id) DO NOTHING",
                (
                    event_id,
                    child_id,
                    trigger,
                    reason,
                    erased_by,
                    len(target.key_ids),
                    len(target.record_ids),
                    now,
                ),
            )
    record = subject_erased(
        event_id, target, at=now, trigger=trigger, rule=rule, reason=reason, erased_by=erased_by
    )
    _publish(bootstrap, child_id, codec.encode("SubjectErased", record))
    return ErasureOutcome(
        event_id=event_id, target=target, keys_deleted=deleted, rows_blanked=blanked
    )


def _publish(bootstrap: str, key: str, value: bytes) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        producer.send(topics.ERASURE, key=key.encode(), value=value).get(timeout=30)
        producer.flush()
    finally:
        producer.close()


def child_facts(dsn: str) -> list[ChildFacts]:
    """What the retention rules need about every child not yet erased (ids, kinds, dates)."""
    query = """
    WITH current AS (
        SELECT DISTINCT ON (record_id) record_id, child_id FROM child_records
        ORDER BY record_id, logged_at DESC, fact_rank DESC, fact_event_id DESC
    )
    SELECT c.child_id, max(s.date_of_birth), array_agg(DISTINCT s.agency_kind),
           max(s.recorded_at)::date, bool_or(h.child_id IS NOT NULL)
    FROM current c
    JOIN erasure_resolutions r ON r.record_id = c.record_id
    JOIN erasure_subjects s USING (event_id, subject_index)
    LEFT JOIN legal_holds h ON h.child_id = c.child_id
    WHERE NOT EXISTS (SELECT 1 FROM erasures e WHERE e.child_id = c.child_id)
    GROUP BY c.child_id
    ORDER BY c.child_id
    """
    with psycopg.connect(dsn) as conn:
        return [
            ChildFacts(
                child_id=str(child),
                date_of_birth=born if isinstance(born, date) else None,
                agency_kinds=frozenset(kinds or ()),
                last_activity=last,
                on_legal_hold=bool(held),
            )
            for child, born, kinds, last, held in conn.execute(query)
        ]

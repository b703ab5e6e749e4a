"""The PostgreSQL side of a projection: rows and positions, written in one transaction.

A batch is written as: lock the projection (an advisory transaction lock), check that the
positions in the database are the ones this runner last saw (else someone else moved them: a
rebuild swapped tables in, or a second runner wrote; the runner reloads and seeks), COPY each
table's rows into a temporary staging table, INSERT ... SELECT ... ON CONFLICT into the real
table, and upsert the new positions. Either all of it commits or none of it does, so a crash at
any point neither loses nor doubles a record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql

from projections.model import Projection, Table, TopicPartition

POSITIONS = "projection_positions"


class PositionsMoved(Exception):
    """The stored positions differ from what the runner expected; it must re-seek to these."""

    def __init__(self, positions: Mapping[TopicPartition, int]) -> None:
        super().__init__("projection positions moved under the runner")
        self.positions = dict(positions)


async def connect(dsn: str, *, application_name: str) -> psycopg.AsyncConnection[Any]:
    """An autocommit connection: every write goes through an explicit transaction block."""
    return await psycopg.AsyncConnection.connect(
        dsn, autocommit=True, application_name=application_name[:63], connect_timeout=5
    )


def staging_name(table: Table) -> str:
    return f"stage__{table.name}"[:63]


async def prepare_staging(conn: psycopg.AsyncConnection[Any], projection: Projection) -> None:
    """One temporary staging table per target, emptied at every commit."""
    for table in projection.tables:
        await conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) "
                "ON COMMIT DELETE ROWS"
            ).format(sql.Identifier(staging_name(table)), sql.Identifier(table.name))
        )


async def load_positions(
    conn: psycopg.AsyncConnection[Any], projection: str
) -> dict[TopicPartition, int]:
    """Next offset to read per (topic, partition); absent partitions start at the beginning."""
    cur = await conn.execute(
        sql.SQL("SELECT topic, partition, next_offset FROM {} WHERE projection = %s").format(
            sql.Identifier(POSITIONS)
        ),
        (projection,),
    )
    return {(topic, partition): offset for topic, partition, offset in await cur.fetchall()}


async def lock_projection(conn: psycopg.AsyncConnection[Any], projection: str) -> None:
    """Serialise writers of one projection (runner batches, a rebuild's swap) until commit."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"projection:{projection}",))


def _insert_sql(table: Table) -> sql.Composed:
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.columns)
    key = sql.SQL(", ").join(sql.Identifier(c) for c in table.key)
    action: sql.Composable
    if table.on_conflict == "nothing":
        action = sql.SQL("NOTHING")
    else:
        updates = [c for c in table.columns if c not in table.key] or list(table.key[:1])
        assign = (
            "{} = COALESCE(EXCLUDED.{}, stored.{})"
            if table.on_conflict == "merge"
            else "{} = EXCLUDED.{}"
        )
        action = sql.SQL("UPDATE SET {}").format(
            sql.SQL(", ").join(
                sql.SQL(assign).format(*[sql.Identifier(c)] * assign.count("{}")) for c in updates
            )
        )
        if table.update_when:
            action = sql.SQL("{} WHERE {}").format(action, sql.SQL(table.update_when))
    return sql.SQL(
        "INSERT INTO {target} AS stored ({columns}) SELECT {columns} FROM {stage} "
        "ON CONFLICT ({key}) DO {action}"
    ).format(
        target=sql.Identifier(table.name),
        columns=columns,
        stage=sql.Identifier(staging_name(table)),
        key=key,
        action=action,
    )


def last_per_key(table: Table, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """For DO UPDATE: one row per key (the last), as one INSERT may not touch a row twice."""
    index = [table.columns.index(k) for k in table.key]
    latest: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        latest[tuple(row[i] for i in index)] = row
    return list(latest.values())


def merged_per_key(table: Table, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """For "merge": one row per key, each column its last non-None value in the batch."""
    index = [table.columns.index(k) for k in table.key]
    merged: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        key = tuple(row[i] for i in index)
        before = merged.get(key)
        merged[key] = (
            row
            if before is None
            else tuple(b if r is None else r for b, r in zip(before, row, strict=True))
        )
    return list(merged.values())


async def copy_rows(
    conn: psycopg.AsyncConnection[Any],
    target: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """COPY rows into a table (text format; psycopg adapts each value)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(target), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    async with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            await copy.write_row(row)


async def write_rows(
    conn: psycopg.AsyncConnection[Any], table: Table, rows: Sequence[tuple[Any, ...]]
) -> int:
    """Staging COPY then INSERT ... ON CONFLICT, inside the caller's transaction.

    Returns how many rows were new or changed.
    """
    if not rows:
        return 0
    if table.on_conflict == "update":
        rows = last_per_key(table, rows)
    elif table.on_conflict == "merge":
        rows = merged_per_key(table, rows)
    await copy_rows(conn, staging_name(table), table.columns, rows)
    cur = await conn.execute(_insert_sql(table))
    # ON COMMIT DELETE ROWS empties it at commit; truncate now so a second table write in the
    # same transaction (or a retried statement) never sees these rows.
    await conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(staging_name(table))))
    return cur.rowcount


async def save_positions(
    conn: psycopg.AsyncConnection[Any], projection: str, positions: Mapping[TopicPartition, int]
) -> None:
    if not positions:
        return
    items = sorted(positions.items())
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (projection, topic, partition, next_offset, updated_at) "
            "SELECT %s, t, p, o, now() "
            "FROM unnest(%s::text[], %s::integer[], %s::bigint[]) AS u(t, p, o) "
            "ON CONFLICT (projection, topic, partition) DO UPDATE "
            "SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at"
        ).format(sql.Identifier(POSITIONS)),
        (
            projection,
            [tp[0] for tp, _ in items],
            [tp[1] for tp, _ in items],
            [offset for _, offset in items],
        ),
    )


async def commit_batch(
    conn: psycopg.AsyncConnection[Any],
    projection: Projection,
    rows: Mapping[str, Sequence[tuple[Any, ...]]],
    *,
    expected: Mapping[TopicPartition, int],
    positions: Mapping[TopicPartition, int],
) -> int:
    """Write a batch's rows and its new positions in one transaction; rows written.

    ``expected`` is what the runner believes is stored for the partitions in this batch
    (absent: nothing stored). Raises PositionsMoved (having written nothing) if the database
    disagrees.
    """
    written = 0
    async with conn.transaction():
        await lock_projection(conn, projection.name)
        stored = await load_positions(conn, projection.name)
        if any(stored.get(tp) != expected.get(tp) for tp in positions):
            raise PositionsMoved(stored)
        for table in projection.tables:
            written += await write_rows(conn, table, rows.get(table.name, ()))
        await save_positions(conn, projection.name, positions)
    return written

"""DDL for projection tables beyond the migrations: fresh copies for a rebuild, and the swap.

Copies are ``CREATE TABLE <copy> (LIKE <table> INCLUDING ALL)``: same columns, defaults,
checks and indexes, so the migrations stay the one definition of a table. This needs a role
that may create tables (hub_owner in the compose deployment; hub_app may not).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from projections import store
from projections.model import Projection


def _pairs(live: Projection, copy: Projection) -> list[tuple[str, str]]:
    if len(live.tables) != len(copy.tables):
        raise ValueError(f"{copy.name} is not a copy of {live.name}")
    return [(a.name, b.name) for a, b in zip(live.tables, copy.tables, strict=True)]


async def ensure_instances(dsn: str, projections: Sequence[Projection], suffix: str) -> None:
    """Create ``<table><suffix>`` like each table of these projections, if missing."""
    async with await store.connect(dsn, application_name="hub-projections-ddl") as conn:
        for projection in projections:
            for live, copy in _pairs(projection, projection.renamed(suffix)):
                await conn.execute(
                    sql.SQL("CREATE TABLE IF NOT EXISTS {} (LIKE {} INCLUDING ALL)").format(
                        sql.Identifier(copy), sql.Identifier(live)
                    )
                )


async def create_fresh(
    conn: psycopg.AsyncConnection[Any], live: Projection, fresh: Projection
) -> None:
    """Empty copies of the live tables, and no positions for the fresh projection.

    The copies keep their unique indexes (the upserts need them) but not the others:
    build_secondary_indexes makes those once the rows are in, which costs PostgreSQL less than
    keeping them up row by row (a third of its work rebuilding accepted_events).
    """
    async with conn.transaction():
        for source, target in _pairs(live, fresh):
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(target)))
            await conn.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                    sql.Identifier(target), sql.Identifier(source)
                )
            )
            for (unique, _shape), names in (await _indexes(conn, target)).items():
                if unique:
                    continue
                for name in names:
                    await conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        await conn.execute("DELETE FROM projection_positions WHERE projection = %s", (fresh.name,))


async def build_secondary_indexes(
    conn: psycopg.AsyncConnection[Any], live: Projection, fresh: Projection
) -> None:
    """On the fresh copies, the live tables' non-unique indexes (left out by create_fresh)."""
    for source, target in _pairs(live, fresh):
        for (unique, shape), names in (await _indexes(conn, source)).items():
            if unique:
                continue
            # The shape is PostgreSQL's own text for an index of the live table; one index per
            # name, as many as the live table has of this shape.
            create = sql.SQL("CREATE INDEX ON {} USING {}").format(
                sql.Identifier(target), sql.SQL(shape)
            )
            for _name in names:
                await conn.execute(create)


async def drop_copies(conn: psycopg.AsyncConnection[Any], copy: Projection) -> None:
    """Remove a copy's tables and positions (an abandoned rebuild, a test instance)."""
    async with conn.transaction():
        for table in copy.tables:
            await conn.execute(
                sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table.name))
            )
        await conn.execute("DELETE FROM projection_positions WHERE projection = %s", (copy.name,))


async def _indexes(
    conn: psycopg.AsyncConnection[Any], table: str
) -> dict[tuple[bool, str], list[str]]:
    """Index names by shape (unique?, definition after USING), which LIKE preserves."""
    cur = await conn.execute(
        "SELECT c.relname, i.indisunique, pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace "
        "ORDER BY c.relname",
        (table,),
    )
    shapes: dict[tuple[bool, str], list[str]] = defaultdict(list)
    for name, unique, definition in await cur.fetchall():
        shapes[(unique, definition.split(" USING ", 1)[1])].append(name)
    return shapes


async def swap_in(conn: psycopg.AsyncConnection[Any], live: Projection, fresh: Projection) -> None:
    """In one transaction: drop the live tables, rename the fresh ones (and their indexes) into
    their place, and make the fresh positions the live ones.

    Readers keep the old tables until this commits. The live runner's lock is taken first, as
    its batches take it before touching tables, so the two never deadlock; its next batch sees
    the positions moved and re-seeks to them.
    """
    async with conn.transaction():
        await store.lock_projection(conn, live.name)
        await store.lock_projection(conn, fresh.name)
        for old, new in _pairs(live, fresh):
            old_names = await _indexes(conn, old)
            await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(old)))
            await conn.execute(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                    sql.Identifier(new), sql.Identifier(old)
                )
            )
            for shape, names in (await _indexes(conn, old)).items():
                for current, wanted in zip(names, old_names.get(shape, []), strict=False):
                    if current != wanted:
                        # Renaming a constraint's index renames the constraint too.
                        await conn.execute(
                            sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                                sql.Identifier(current), sql.Identifier(wanted)
                            )
                        )
        await conn.execute("DELETE FROM projection_positions WHERE projection = %s", (live.name,))
        await conn.execute(
            "UPDATE projection_positions SET projection = %s, updated_at = now() "
            "WHERE projection = %s",
            (live.name, fresh.name),
        )

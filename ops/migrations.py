"""Apply the SQL migrations in projections/migrations/ in order, once each, in one transaction each."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ops.processes import StackError

MIGRATIONS = Path(__file__).resolve().parent.parent / "projections" / "migrations"


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(folder: Path = MIGRATIONS) -> list[Migration]:
    """Migrations sorted by their number prefix (0001_name.sql); duplicate numbers are an error."""
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        prefix, _, rest = path.stem.partition("_")
        if not prefix.isdigit():
            raise StackError(
                f"migration file {path.name} must start with a number, e.g. 0002_name.sql"
            )
        version = int(prefix)
        if version in found:
            raise StackError(
                f"two migrations share number {version}: {found[version].name} and {rest}"
            )
        found[version] = Migration(version=version, name=rest, sql=path.read_text())
    return [found[v] for v in sorted(found)]


def apply_migrations(dsn: str, folder: Path = MIGRATIONS) -> list[str]:
    """Apply the migrations not yet applied; refuse if an applied file has since been edited."""
    applied_now: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        # One applier at a time (hub up and a test session may race).
        conn.execute("SELECT pg_advisory_lock(hashtext('schema_migrations'))")
        try:
            done = {
                v: c for v, c in conn.execute("SELECT version, checksum FROM schema_migrations")
            }
            for migration in discover(folder):
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise StackError(
                            f"migration {migration.version}_{migration.name} was edited after it was "
                            "applied; add a new migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(f"{migration.version:04d}_{migration.name}")
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('schema_migrations'))")
    return applied_now

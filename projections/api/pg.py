"""The read model over PostgreSQL: the projections' tables, read through an async pool.

Every query names tables by their canonical names: a rebuild swaps fresh tables in under the
same names in one transaction, so the API keeps serving the old tables until the swap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from projections.api.model import (
    Alert,
    AuditEntry,
    AuditQuery,
    ChildAccess,
    ReferralState,
    SharedItem,
    SharedReferral,
)
from projections.child_status.current import StatusEvent, current_status
from projections.chronology.queries import CURRENT_RECORDS, EVENTS, to_event
from projections.erasure.reveal import reveal
from projections.reporting.indicators import Count
from projections.reporting.queries import month_counts
from streams.chronology import ChronologyEntry, build, visible_entries

_CHILD_OF_RECORD: Final = """(
    SELECT c.child_id FROM child_records AS c WHERE c.record_id = s.record_id
    ORDER BY c.logged_at DESC, c.fact_rank DESC, c.fact_event_id DESC LIMIT 1)"""
_NOT_REVOKED: Final = """NOT EXISTS (
    SELECT 1 FROM share_revocations AS r
    WHERE r.source_event_id = s.source_event_id AND r.record_id = s.record_id
      AND r.recipient_id = s.recipient_id)"""
_ALERT_COLUMNS: Final = """police_reference, record_id, child_id, organisation_id,
    organisation_name, key_adult_name, recipient_kind, status, deadline, issued_at,
    delivered_at, acknowledged_at, acknowledged_by, content"""


_REFERRAL_COLUMNS: Final = tuple(ReferralState.__dataclass_fields__)


def _records_query() -> sql.Composed:
    return sql.SQL(CURRENT_RECORDS).format(
        child_records=sql.Identifier("child_records"),
        chronology_events=sql.Identifier("chronology_events"),
    )


def _alert(row: dict[str, Any]) -> Alert:
    content = row["content"]
    return Alert(
        **{k: v for k, v in row.items() if k != "content"},
        content=reveal(content if isinstance(content, dict) else json.loads(content or "{}")),
    )


class PgReadModel:
    """``ReadModel`` over the projections' tables."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def _all(self, query: sql.Composable, params: dict[str, Any]) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            rows: list[dict[str, Any]] = await cur.fetchall()
            return rows

    async def alerts(self, organisations: frozenset[str]) -> Sequence[Alert]:
        rows = await self._all(
            sql.SQL(
                "SELECT {columns} FROM encompass_alerts WHERE organisation_id = ANY(%(orgs)s)"
                " ORDER BY acknowledged_at IS NOT NULL, deadline NULLS LAST, police_reference"
                " LIMIT 500"
            ).format(columns=sql.SQL(_ALERT_COLUMNS)),
            {"orgs": sorted(organisations)},
        )
        return [_alert(r) for r in rows]

    async def alert(self, police_reference: str, record_id: str) -> Alert | None:
        rows = await self._all(
            sql.SQL(
                "SELECT {columns} FROM encompass_alerts"
                " WHERE police_reference = %(ref)s AND record_id = %(record)s"
            ).format(columns=sql.SQL(_ALERT_COLUMNS)),
            {"ref": police_reference, "record": record_id},
        )
        return _alert(rows[0]) if rows else None

    async def _records(self, child_id: str) -> list[str]:
        return [r["record_id"] for r in await self._all(_records_query(), {"child": child_id})]

    async def child_access(self, child_id: str) -> ChildAccess:
        records = await self._records(child_id)
        if not records:
            return ChildAccess(child_id=child_id, record_ids=())
        params = {"records": records, "child": child_id}
        shares = await self._all(
            sql.SQL(
                "SELECT s.source_event_id, s.recipient_id, s.level FROM shares AS s"
                " WHERE s.record_id = ANY(%(records)s) AND {not_revoked}"
            ).format(not_revoked=sql.SQL(_NOT_REVOKED)),
            params,
        )
        alerts: dict[str, set[str]] = {}
        for row in await self._all(
            sql.SQL(
                "SELECT organisation_id, police_reference FROM encompass_alerts"
                " WHERE record_id = ANY(%(records)s) AND organisation_id IS NOT NULL"
            ),
            params,
        ):
            alerts.setdefault(row["organisation_id"], set()).add(row["police_reference"])
        status, team = await self._status(records)
        return ChildAccess(
            child_id=child_id,
            record_ids=tuple(records),
            shares=tuple(
                SharedItem(
                    source_event_id=str(r["source_event_id"]),
                    recipient_id=r["recipient_id"],
                    level=r["level"],
                )
                for r in shares
            ),
            alerts={org: frozenset(refs) for org, refs in alerts.items()},
            status=status,
            responsible_team=team,
        )

    async def _status(self, records: list[str]) -> tuple[str | None, str | None]:
        """Whether the child is on a CP plan or looked after now, and the team responsible.

        The child's status events are those of its records' chronologies (which child);
        child_status_events adds the episode and the responsible team the events name.
        """
        rows = await self._all(
            sql.SQL(
                "SELECT DISTINCT s.event_id::text AS event_id, s.status, s.started, s.episode_id,"
                " s.responsible_team_id, s.occurred_at FROM child_status_events AS s"
                " JOIN chronology_events AS c ON c.event_id = s.event_id"
                " WHERE c.record_id = ANY(%(records)s)"
            ),
            {"records": records},
        )
        found = current_status(StatusEvent(**row) for row in rows)
        return (None, None) if found is None else (found.status, found.responsible_team_id)

    async def chronology(
        self, access: ChildAccess, *, include_retracted: bool, printed: bool
    ) -> Sequence[ChronologyEntry]:
        records = list(access.record_ids)
        if not records:
            return ()
        query = sql.SQL(EVENTS).format(chronology_events=sql.Identifier("chronology_events"))
        rows = await self._all(query, {"records": records})
        # Revealed in one call: a token repeated across entries (the child's name) opens once.
        events = [to_event(row) for row in reveal(rows)]
        # EntryCurated events are among chronology_events: the pure build applies the latest
        # curation, and the printed view leaves excluded entries out.
        return visible_entries(
            build(access.child_id, events), include_retracted=include_retracted, printed=printed
        )

    async def referrals(self, recipient_ids: frozenset[str]) -> Sequence[SharedReferral]:
        rows = await self._all(
            sql.SQL(
                "SELECT s.source_event_id, s.record_id, s.recipient_id, s.event_type, s.level,"
                " s.content, s.occurred_at, s.shared_at, {child_of} AS child_id"
                " FROM shares AS s WHERE s.recipient_id = ANY(%(ids)s)"
                " AND s.event_type IN ('ReferralMade', 'ReferralOutcomeRecorded')"
                " AND {not_revoked} ORDER BY s.occurred_at LIMIT 1000"
            ).format(child_of=sql.SQL(_CHILD_OF_RECORD), not_revoked=sql.SQL(_NOT_REVOKED)),
            {"ids": sorted(recipient_ids)},
        )
        return [
            SharedReferral(
                source_event_id=str(r["source_event_id"]),
                record_id=r["record_id"],
                child_id=r["child_id"],
                recipient_id=r["recipient_id"],
                event_type=r["event_type"],
                level=r["level"],
                content=reveal(
                    r["content"] if isinstance(r["content"], dict) else json.loads(r["content"])
                ),
                occurred_at=r["occurred_at"],
                shared_at=r["shared_at"],
            )
            for r in rows
        ]

    async def referral_states(
        self, agency_ids: frozenset[str], referral_ids: frozenset[str]
    ) -> Sequence[ReferralState]:
        if not agency_ids and not referral_ids:
            return []
        rows = await self._all(
            sql.SQL(
                "SELECT {columns} FROM referrals WHERE referrer_agency_id = ANY(%(agencies)s)"
                " OR receiving_agency_id = ANY(%(agencies)s) OR allocated_team_id = ANY(%(agencies)s)"
                " OR referral_id = ANY(%(ids)s) ORDER BY made_at DESC NULLS LAST, referral_id"
                " LIMIT 1000"
            ).format(columns=sql.SQL(", ").join(map(sql.Identifier, _REFERRAL_COLUMNS))),
            {"agencies": sorted(agency_ids), "ids": sorted(referral_ids)},
        )
        return [ReferralState(**row) for row in rows]

    async def report_counts(self, month: str) -> Sequence[Count]:
        async with self._pool.connection() as conn:
            return await month_counts(conn, month)

    async def audit(self, query: AuditQuery) -> Sequence[AuditEntry]:
        where: list[sql.Composable] = [sql.SQL("true")]
        params: dict[str, Any] = {"limit": max(1, min(query.limit, 1000))}
        for column in ("child_id", "viewer_id", "organisation_id", "notify_team"):
            value = getattr(query, column)
            if value:
                where.append(
                    sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column))
                )
                params[column] = value
        if query.since:
            where.append(sql.SQL("viewed_at >= %(since)s"))
            params["since"] = query.since
        if query.until:
            where.append(sql.SQL("viewed_at < %(until)s"))
            params["until"] = query.until
        statement = sql.SQL(
            "SELECT event_id, viewed_at, viewer_id, viewer_name, viewer_role, organisation_id,"
            " child_id, view, endpoint, reason, include_retracted, items_shown, child_status,"
            " notify_team FROM audit_log WHERE {} ORDER BY viewed_at DESC, event_id LIMIT %(limit)s"
        ).format(sql.SQL(" AND ").join(where))
        rows = await self._all(statement, params)
        return [AuditEntry(**{**r, "event_id": str(r["event_id"])}) for r in rows]

"""Query parameters and form fields of the API and the pages, parsed (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from projections.api.access import LONDON, Filters
from projections.api.model import AuditQuery


class BadQuery(ValueError):
    """A query parameter that does not parse (400, naming the parameter)."""


def _date(query: Mapping[str, str], name: str) -> date | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"{name}: expected a date, YYYY-MM-DD") from None


def flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "").lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise BadQuery(f"{name}: expected true or false")


def parse_filters(query: Mapping[str, str]) -> Filters:
    return Filters(
        since=_date(query, "from"),
        until=_date(query, "to"),
        category=query.get("category") or None,
        agency=query.get("agency") or None,
    )


def _instant(query: Mapping[str, str], name: str) -> datetime | None:
    day = _date(query, name)
    return datetime(day.year, day.month, day.day, tzinfo=LONDON) if day else None


def audit_query(query: Mapping[str, str]) -> AuditQuery:
    try:
        limit = int(query.get("limit", "200"))
    except ValueError:
        raise BadQuery("limit: expected a whole number") from None
    return AuditQuery(
        child_id=query.get("child_id") or None,
        viewer_id=query.get("viewer_id") or None,
        organisation_id=query.get("organisation_id") or None,
        since=_instant(query, "from"),
        until=_instant(query, "to"),
        limit=limit,
    )

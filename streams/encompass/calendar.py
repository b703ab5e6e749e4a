"""The Encompass deadline: the start of the first school session after an incident was recorded.

Product rule (DOMAIN.md): default 08:30 Europe/London, configurable per school, skipping
weekends, England and Wales bank holidays and the school's published closure days. Computed
in Europe/London wall time so clock changes fall out of zoneinfo; returned in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

from streams.encompass.model import require_aware

LONDON = ZoneInfo("Europe/London")
DEFAULT_SESSION_START = time(8, 30)
# Longer than any school holiday; past it the calendar data is wrong, not the child's case.
_SEARCH_HORIZON_DAYS = 400


@lru_cache(maxsize=32)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays (incl. substitute days and one-offs) from `holidays`."""
    # subdiv ENG: Wales shares England's list, Scotland and Northern Ireland do not.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    """True on an England and Wales bank holiday."""
    return day in bank_holidays(day.year)


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    """A published term: pupils attend from start to end inclusive (weekdays only)."""

    start: date
    end: date
    name: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"term {self.name!r} ends ({self.end}) before it starts ({self.start})"
            )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class SchoolCalendar:
    """When one school's sessions start and which days it is closed."""

    urn: str | None  # None for an LA-level calendar (coordinator, home-educated children)
    session_start: time = DEFAULT_SESSION_START  # Europe/London wall time
    terms: tuple[Term, ...] | None = None  # None: term dates unknown, every weekday may be open
    closures: frozenset[date] = frozenset()  # INSET days and other published closures

    def __post_init__(self) -> None:
        if self.session_start.tzinfo is not None:
            raise ValueError("session_start is a Europe/London wall time; give it without tzinfo")

    def is_open(self, day: date) -> bool:
        """True if the school holds a session on this day."""
        if day.weekday() >= 5 or is_bank_holiday(day) or day in self.closures:
            return False
        if not self.terms:
            return True
        first = min(t.start for t in self.terms)
        last = max(t.end for t in self.terms)
        # Beyond the published term dates we know nothing: fall back to "every weekday" so the
        # deadline comes early (and is flagged) rather than weeks late.
        if day < first or day > last:
            return True
        return any(day in t for t in self.terms)


def deadline_for(recorded_at: datetime, school: SchoolCalendar) -> datetime:
    """The start of the first session of `school` beginning strictly after `recorded_at`, in UTC."""
    require_aware(recorded_at, "recorded_at")
    recorded_utc = recorded_at.astimezone(UTC)
    day = recorded_at.astimezone(LONDON).date()
    for _ in range(_SEARCH_HORIZON_DAYS):
        if school.is_open(day):
            # combine() with a zoneinfo tz picks the right offset for that date (GMT or BST).
            start = datetime.combine(day, school.session_start, tzinfo=LONDON).astimezone(UTC)
            if start > recorded_utc:
                return start
        day += timedelta(days=1)
    raise ValueError(
        f"no session for school {school.urn} within {_SEARCH_HORIZON_DAYS} days of {recorded_at}"
    )


# --- Loading published term dates ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarBook:
    """Term dates per local authority and per school; schools inherit from their LA."""

    local_authorities: Mapping[str, SchoolCalendar] = field(default_factory=dict, hash=False)
    schools: Mapping[str, SchoolCalendar] = field(default_factory=dict, hash=False)

    def for_school(self, urn: str | None, local_authority: str | None = None) -> SchoolCalendar:
        """The school's own calendar, else its LA's, else weekdays at the default time."""
        if urn is not None and urn in self.schools:
            return self.schools[urn]
        la = self.local_authorities.get(local_authority or "")
        if la is None:
            return SchoolCalendar(urn=urn)
        return SchoolCalendar(
            urn=urn, session_start=la.session_start, terms=la.terms, closures=la.closures
        )


def _as_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{where}: expected a date, got a datetime {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"{where}: expected an ISO date, got {value!r}")


def _as_time(value: object, where: str) -> time:
    # YAML 1.1 reads an unquoted 8:30 as the integer 510 (base 60); insist on a quoted string.
    if not isinstance(value, str):
        raise ValueError(f'{where}: session_start must be a quoted "HH:MM" string, got {value!r}')
    return time.fromisoformat(value)


def _dates(values: Iterable[object] | None, where: str) -> frozenset[date]:
    return frozenset(_as_date(v, where) for v in (values or ()))


def _terms(values: Iterable[Mapping[str, Any]], where: str) -> tuple[Term, ...]:
    return tuple(
        Term(
            name=str(t.get("name", "")),
            start=_as_date(t["start"], where),
            end=_as_date(t["end"], where),
        )
        for t in values
    )


def _closures(entry: Mapping[str, Any], where: str) -> frozenset[date]:
    return _dates(entry.get("inset_days"), where) | _dates(entry.get("closures"), where)


def calendars_from_mapping(data: Mapping[str, Any]) -> CalendarBook:
    """Build a CalendarBook from the term-dates document (see term_dates_example.yaml)."""
    las: dict[str, SchoolCalendar] = {}
    for code, entry in (data.get("local_authorities") or {}).items():
        where = f"local_authorities.{code}"
        las[str(code)] = SchoolCalendar(
            urn=None,
            session_start=_as_time(entry.get("session_start", "08:30"), where),
            terms=_terms(entry["terms"], where) if "terms" in entry else None,
            closures=_closures(entry, where),
        )
    schools: dict[str, SchoolCalendar] = {}
    for urn, entry in (data.get("schools") or {}).items():
        where = f"schools.{urn}"
        la_code = entry.get("local_authority")
        if la_code is not None and str(la_code) not in las:
            raise ValueError(f"{where}: unknown local authority {la_code!r}")
        base = las.get(str(la_code)) or SchoolCalendar(urn=None)
        # Academies publish their own terms; otherwise the LA's apply. Closures add up.
        schools[str(urn)] = SchoolCalendar(
            urn=str(urn),
            session_start=(
                _as_time(entry["session_start"], where)
                if "session_start" in entry
                else base.session_start
            ),
            terms=_terms(entry["terms"], where) if "terms" in entry else base.terms,
            closures=base.closures | _closures(entry, where),
        )
    return CalendarBook(local_authorities=las, schools=schools)


def calendars_from_yaml(text: str) -> CalendarBook:
    """Parse a term-dates YAML document."""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, Mapping):
        raise ValueError("a term-dates document is a mapping at the top level")
    return calendars_from_mapping(data)


def load_calendars(path: Path) -> CalendarBook:
    """Read a term-dates YAML file (called at start-up, never at import)."""
    return calendars_from_yaml(path.read_text(encoding="utf-8"))


EXAMPLE_TERM_DATES = Path(__file__).with_name("term_dates_example.yaml")

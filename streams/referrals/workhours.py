"""Working time for referral timers: office hours on working days, in the area's time zone.

A working day is a weekday (by default Monday to Friday) that is not an England and Wales bank
holiday (the same `holidays` source the Encompass calendar uses) nor one of the calendar's
closure days. Working hours run from ``day_start`` to ``day_end`` local wall time (default
09:00-17:00 Europe/London). Intervals are computed from wall times through zoneinfo and then in
UTC, so a clock change (which happens at 01:00-02:00, outside office hours) never stretches or
shrinks a working day. Pure: the current time is always an argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from streams.encompass.calendar import is_bank_holiday

# Past this many calendar days without enough working time the calendar is wrong (no weekdays).
_HORIZON_DAYS: Final = 3660


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkingCalendar:
    """When the receiving teams work (configurable per area; see rules.yaml)."""

    timezone: str = "Europe/London"
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    closures: frozenset[date] = frozenset()
    bank_holidays: bool = True

    def __post_init__(self) -> None:
        if self.day_start >= self.day_end:
            raise ValueError(
                f"working day starts ({self.day_start}) after it ends ({self.day_end})"
            )
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday)")
        ZoneInfo(self.timezone)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours_per_day(self) -> timedelta:
        """The length of one working day (8 hours by default)."""
        today = date(2000, 1, 3)
        return datetime.combine(today, self.day_end) - datetime.combine(today, self.day_start)

    def is_working_day(self, day: date) -> bool:
        """True on a working weekday that is neither a bank holiday nor a closure day."""
        if day.weekday() not in self.weekdays or day in self.closures:
            return False
        return not (self.bank_holidays and is_bank_holiday(day))

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working hours of `day` as a UTC interval (whether or not `day` is a working day)."""
        zone = self.zone
        opens = datetime.combine(day, self.day_start, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.day_end, tzinfo=zone).astimezone(UTC)
        return opens, closes

    def windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) that end after `moment`, in order, the first clipped to it."""
        _aware(moment, "moment")
        start = moment.astimezone(UTC)
        day = moment.astimezone(self.zone).date()
        for _ in range(_HORIZON_DAYS):
            if self.is_working_day(day):
                opens, closes = self.window(day)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)
        raise ValueError(f"no working day within {_HORIZON_DAYS} days of {moment.isoformat()}")


def add_working_time(start: datetime, amount: timedelta, calendar: WorkingCalendar) -> datetime:
    """The moment (UTC) by which `amount` of working time has passed since `start`.

    Zero working time is `start` itself. A time limit that ends exactly at close of business is
    due at close (17:00), not at the next morning's opening.
    """
    _aware(start, "start")
    if amount < timedelta(0):
        raise ValueError("working time to add must not be negative")
    remaining = amount
    if remaining == timedelta(0):
        return start.astimezone(UTC)
    for begin, end in calendar.windows_from(start):
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: windows_from raises before running out")  # pragma: no cover


def working_time_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> timedelta:
    """How much working time lies between `start` and `end` (zero if `end` is not later)."""
    _aware(start, "start")
    _aware(end, "end")
    finish = end.astimezone(UTC)
    total = timedelta(0)
    if finish <= start.astimezone(UTC):
        return total
    for begin, close in calendar.windows_from(start):
        if begin >= finish:
            break
        total += min(close, finish) - begin
    return total


def working_hours(hours: float) -> timedelta:
    """A number of working hours as a timedelta (limits are configured in hours)."""
    return timedelta(hours=hours)

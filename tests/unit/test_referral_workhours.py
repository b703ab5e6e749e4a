"""Working-hours timers: overnight, weekends, bank holidays, clock changes (09:00-17:00 London)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.referrals.workhours import WorkingCalendar, add_working_time, working_time_between

LONDON = ZoneInfo("Europe/London")
CAL = WorkingCalendar()
H = timedelta(hours=1)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A London wall time, as an aware datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def test_within_the_same_working_day() -> None:
    assert add_working_time(at(2026, 3, 2, 10), 4 * H, CAL) == at(2026, 3, 2, 14)


def test_a_red_rating_late_in_the_afternoon_runs_on_overnight() -> None:
    # Monday 15:30 + 4 working hours: 1.5 h on Monday, 2.5 h from Tuesday 09:00.
    assert add_working_time(at(2026, 3, 2, 15, 30), 4 * H, CAL) == at(2026, 3, 3, 11, 30)


def test_a_referral_made_at_night_starts_counting_at_nine() -> None:
    assert add_working_time(at(2026, 3, 3, 2, 15), 4 * H, CAL) == at(2026, 3, 3, 13)


def test_one_working_day_from_monday_morning_is_tuesday_morning() -> None:
    assert add_working_time(at(2026, 3, 2, 10), 8 * H, CAL) == at(2026, 3, 3, 10)


def test_a_limit_ending_at_close_of_business_is_due_at_close() -> None:
    assert add_working_time(at(2026, 3, 2, 9), 8 * H, CAL) == at(2026, 3, 2, 17)


def test_friday_afternoon_runs_over_the_weekend_to_monday() -> None:
    assert add_working_time(at(2026, 3, 6, 16), 4 * H, CAL) == at(2026, 3, 9, 12)


def test_a_weekend_referral_is_due_from_monday_morning() -> None:
    assert add_working_time(at(2026, 3, 7, 11), 8 * H, CAL) == at(2026, 3, 9, 17)


def test_christmas_and_boxing_day_substitute_bank_holidays_are_skipped() -> None:
    # 2026: Christmas Friday 25th, Boxing Day substitute Monday 28th.
    assert add_working_time(at(2026, 12, 24, 16), 8 * H, CAL) == at(2026, 12, 29, 16)


def test_easter_friday_and_monday_are_skipped() -> None:
    # 2026: Good Friday 3 April, Easter Monday 6 April.
    assert add_working_time(at(2026, 4, 2, 13), 8 * H, CAL) == at(2026, 4, 7, 13)


def test_amber_and_green_span_several_working_days() -> None:
    start = at(2026, 3, 2, 10)
    assert add_working_time(start, 24 * H, CAL) == at(2026, 3, 5, 10)
    assert add_working_time(start, 72 * H, CAL) == at(2026, 3, 13, 10)  # 9 working days on


def test_the_spring_clock_change_does_not_shorten_working_time() -> None:
    # BST starts Sunday 29 March 2026: Friday 15:00 GMT + 4 h = Monday 11:00 BST (10:00 UTC).
    due = add_working_time(at(2026, 3, 27, 15), 4 * H, CAL)
    assert due == at(2026, 3, 30, 11)
    assert due.utcoffset() == timedelta(0)  # results are UTC
    assert due == datetime(2026, 3, 30, 10, tzinfo=UTC)


def test_the_autumn_clock_change_does_not_lengthen_working_time() -> None:
    # GMT resumes Sunday 25 October 2026.
    assert add_working_time(at(2026, 10, 23, 16), 2 * H, CAL) == at(2026, 10, 26, 10)


def test_closures_and_other_hours_are_configurable() -> None:
    cal = WorkingCalendar(
        day_start=time(8), day_end=time(18), closures=frozenset({date(2026, 3, 3)})
    )
    assert cal.hours_per_day == 10 * H
    assert add_working_time(at(2026, 3, 2, 17), 2 * H, cal) == at(2026, 3, 4, 9)


def test_a_seven_day_rota_works_weekends_but_not_bank_holidays() -> None:
    cal = WorkingCalendar(weekdays=frozenset(range(7)))
    assert add_working_time(at(2026, 3, 6, 16), 4 * H, cal) == at(2026, 3, 7, 12)
    # Christmas Day and Boxing Day (a Saturday in 2026) are bank holidays: Sunday the 27th.
    assert add_working_time(at(2026, 12, 24, 16), 2 * H, cal) == at(2026, 12, 27, 10)


def test_zero_time_is_now_and_negative_or_naive_input_is_refused() -> None:
    assert add_working_time(at(2026, 3, 7, 3), timedelta(0), CAL) == at(2026, 3, 7, 3)
    with pytest.raises(ValueError, match="negative"):
        add_working_time(at(2026, 3, 2, 10), -H, CAL)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(datetime(2026, 3, 2, 10), H, CAL)
    with pytest.raises(ValueError, match="starts"):
        WorkingCalendar(day_start=time(17), day_end=time(9))


moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
amounts = st.integers(min_value=0, max_value=200 * 60).map(lambda m: timedelta(minutes=m))


@given(start=moments, amount=amounts)
def test_exactly_the_working_time_asked_for_lies_between_start_and_deadline(
    start: datetime, amount: timedelta
) -> None:
    due = add_working_time(start, amount, CAL)
    assert due >= start
    assert working_time_between(start, due, CAL) == amount


@given(start=moments, amount=amounts.filter(lambda a: a > timedelta(0)))
def test_a_deadline_always_falls_inside_working_hours_of_a_working_day(
    start: datetime, amount: timedelta
) -> None:
    due = add_working_time(start, amount, CAL).astimezone(LONDON)
    assert CAL.is_working_day(due.date())
    assert time(9) < due.time() <= time(17) or due.time() == time(17)


@given(start=moments, a=amounts, b=amounts)
def test_adding_in_two_steps_is_adding_once_and_more_time_is_never_sooner(
    start: datetime, a: timedelta, b: timedelta
) -> None:
    once = add_working_time(start, a + b, CAL)
    # Two steps land at the same moment, except that a first step ending exactly at close of
    # business resumes the next morning: same working time, a later wall-clock moment.
    twice = add_working_time(add_working_time(start, a, CAL), b, CAL)
    assert working_time_between(start, twice, CAL) == a + b
    assert twice >= once
    assert add_working_time(start, a, CAL) <= once

"""The Encompass deadline, case by case: the start of the next school session after recording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.encompass.calendar import (
    EXAMPLE_TERM_DATES,
    SchoolCalendar,
    Term,
    bank_holidays,
    calendars_from_mapping,
    calendars_from_yaml,
    deadline_for,
    load_calendars,
)

LONDON = ZoneInfo("Europe/London")
BOOK = load_calendars(EXAMPLE_TERM_DATES)

NO_TERM_DATES = SchoolCalendar(urn="100001")
LA_TERMS = BOOK.for_school("999002")  # on the LA's 2026-27 terms, 08:30
EARLY_START = SchoolCalendar(urn="100002", session_start=time(8, 45))
INSET = BOOK.for_school("999001")  # LA terms, 08:45, INSET 13 Nov 2026 and 4 Jan 2027


def london(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LONDON)


def utc(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    rule: str
    recorded_at: datetime
    school: SchoolCalendar
    deadline: datetime  # UTC


CASES = [
    Case(
        rule="an evening incident on a school day: next morning (BST, so 07:30Z)",
        recorded_at=london(2026, 6, 10, 19),
        school=NO_TERM_DATES,
        deadline=utc(2026, 6, 11, 7, 30),
    ),
    Case(
        rule="an evening incident in winter: next morning at 08:30Z (GMT)",
        recorded_at=london(2026, 11, 18, 19),
        school=NO_TERM_DATES,
        deadline=utc(2026, 11, 19, 8, 30),
    ),
    Case(
        rule="recorded at 07:00 on a school day: the same morning",
        recorded_at=london(2026, 6, 10, 7),
        school=NO_TERM_DATES,
        deadline=utc(2026, 6, 10, 7, 30),
    ),
    Case(
        rule="recorded during school hours: the next school day",
        recorded_at=london(2026, 6, 10, 11),
        school=NO_TERM_DATES,
        deadline=utc(2026, 6, 11, 7, 30),
    ),
    Case(
        rule="recorded exactly as the session starts: the next one (strictly after)",
        recorded_at=london(2026, 6, 10, 8, 30),
        school=NO_TERM_DATES,
        deadline=utc(2026, 6, 11, 7, 30),
    ),
    Case(
        rule="07:45Z in summer is 08:45 in London, after the session: the next day",
        recorded_at=utc(2026, 6, 10, 7, 45),
        school=NO_TERM_DATES,
        deadline=utc(2026, 6, 11, 7, 30),
    ),
    Case(
        rule="Friday night: Monday",
        recorded_at=london(2026, 6, 12, 22),
        school=NO_TERM_DATES,
        deadline=utc(2026, 6, 15, 7, 30),
    ),
    Case(
        rule="Friday night before the May Day bank holiday: Tuesday",
        recorded_at=london(2026, 5, 1, 20),
        school=NO_TERM_DATES,
        deadline=utc(2026, 5, 5, 7, 30),
    ),
    Case(
        rule="early on a bank holiday Monday: Tuesday",
        recorded_at=london(2026, 5, 4, 6),
        school=NO_TERM_DATES,
        deadline=utc(2026, 5, 5, 7, 30),
    ),
    Case(
        rule="Christmas Eve, no term dates: skips Christmas, the weekend, Boxing Day (substitute)",
        recorded_at=london(2026, 12, 24, 18),
        school=NO_TERM_DATES,
        deadline=utc(2026, 12, 29, 8, 30),
    ),
    Case(
        rule="Christmas Day with term dates: the first day of the spring term",
        recorded_at=london(2026, 12, 25, 14),
        school=LA_TERMS,
        deadline=utc(2027, 1, 4, 8, 30),
    ),
    Case(
        rule="last day of autumn term after school, with term dates: first day of spring term",
        recorded_at=london(2026, 12, 18, 17),
        school=LA_TERMS,
        deadline=utc(2027, 1, 4, 8, 30),
    ),
    Case(
        rule="the night before Good Friday: skips Good Friday and Easter Monday to Tuesday",
        recorded_at=london(2026, 4, 2, 19),
        school=NO_TERM_DATES,
        deadline=utc(2026, 4, 7, 7, 30),
    ),
    Case(
        rule="during Easter Monday: Tuesday",
        recorded_at=london(2026, 4, 6, 10),
        school=NO_TERM_DATES,
        deadline=utc(2026, 4, 7, 7, 30),
    ),
    Case(
        rule="clocks go forward (last Sunday in March): Monday 08:30 BST is 07:30Z",
        recorded_at=utc(2026, 3, 29, 0, 30),  # 00:30 GMT, half an hour before the change
        school=NO_TERM_DATES,
        deadline=utc(2026, 3, 30, 7, 30),
    ),
    Case(
        rule="Friday before the clocks go forward: still Monday 07:30Z",
        recorded_at=london(2026, 3, 27, 20),  # GMT on the day it was recorded
        school=NO_TERM_DATES,
        deadline=utc(2026, 3, 30, 7, 30),
    ),
    Case(
        rule="clocks go back (last Sunday in October): Monday 08:30 GMT is 08:30Z",
        recorded_at=utc(2026, 10, 25, 0, 30),  # 01:30 BST, the first of two 01:30s
        school=NO_TERM_DATES,
        deadline=utc(2026, 10, 26, 8, 30),
    ),
    Case(
        rule="end of autumn half-term 1 (BST), with term dates: after half term, in GMT",
        recorded_at=london(2026, 10, 23, 18),
        school=LA_TERMS,
        deadline=utc(2026, 11, 2, 8, 30),
    ),
    Case(
        rule="a school that starts at 08:45: evening incident, next morning 08:45",
        recorded_at=london(2026, 6, 10, 19),
        school=EARLY_START,
        deadline=utc(2026, 6, 11, 7, 45),
    ),
    Case(
        rule="a school that starts at 08:45: recorded at 08:40, the same morning",
        recorded_at=london(2026, 6, 10, 8, 40),
        school=EARLY_START,
        deadline=utc(2026, 6, 10, 7, 45),
    ),
    Case(
        rule="an INSET day on Friday: Monday",
        recorded_at=london(2026, 11, 12, 19),
        school=INSET,
        deadline=utc(2026, 11, 16, 8, 45),
    ),
    Case(
        rule="an INSET day on the first day of spring term: the day after",
        recorded_at=london(2026, 12, 24, 12),
        school=INSET,
        deadline=utc(2027, 1, 5, 8, 45),
    ),
    Case(
        rule="an academy with its own terms: its own first day back",
        recorded_at=london(2026, 12, 31, 12),
        school=BOOK.for_school("999003"),
        deadline=utc(2027, 1, 5, 8, 30),
    ),
    Case(
        rule="after the last published term: weekdays again, never no deadline",
        recorded_at=london(2027, 7, 23, 18),
        school=LA_TERMS,
        deadline=utc(2027, 7, 26, 7, 30),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_deadline(case: Case) -> None:
    got = deadline_for(case.recorded_at, case.school)
    assert got == case.deadline
    assert got.tzinfo is UTC


def test_bank_holidays_come_from_the_library_and_include_the_rules() -> None:
    days = bank_holidays(2026) | bank_holidays(2027)
    assert {
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 12, 25),  # Christmas Day
        date(2026, 12, 28),  # Boxing Day (substitute: the 26th is a Saturday)
        date(2027, 12, 27),  # Christmas Day (substitute: the 25th is a Saturday)
        date(2027, 12, 28),  # Boxing Day (substitute)
    } <= days
    assert date(2027, 3, 17) not in days  # St Patrick's Day is Northern Ireland's only


def test_naive_recorded_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_for(datetime(2026, 6, 10, 19), NO_TERM_DATES)


def test_a_school_closed_for_over_a_year_is_a_data_error_not_an_endless_search() -> None:
    closed = SchoolCalendar(
        urn="1",
        closures=frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(1000)),
    )
    with pytest.raises(ValueError, match="no session"):
        deadline_for(london(2026, 6, 10, 19), closed)


def test_school_entry_inherits_la_terms_and_adds_its_own_closures() -> None:
    assert INSET.terms == LA_TERMS.terms
    assert INSET.session_start == time(8, 45)
    assert date(2026, 11, 13) in INSET.closures
    assert date(2026, 11, 13) not in LA_TERMS.closures


def test_unknown_school_in_a_known_la_gets_the_la_calendar_and_else_the_default() -> None:
    assert BOOK.for_school("123456", "999").terms == LA_TERMS.terms
    assert BOOK.for_school("123456").terms is None
    assert BOOK.for_school(None, "999").urn is None


def test_unquoted_yaml_time_is_refused_because_yaml_reads_it_as_base_60() -> None:
    with pytest.raises(ValueError, match="quoted"):
        calendars_from_yaml("local_authorities:\n  '1': {session_start: 8:30}\n")


def test_school_naming_an_unknown_la_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown local authority"):
        calendars_from_mapping({"schools": {"1": {"local_authority": "nope"}}})


def test_term_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Term(start=date(2027, 1, 5), end=date(2027, 1, 4))


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.just(UTC),
    )
)
def test_deadline_is_a_session_start_after_recording_on_an_open_day(recorded_at: datetime) -> None:
    got = deadline_for(recorded_at, LA_TERMS)
    local = got.astimezone(LONDON)
    assert got > recorded_at
    assert local.time() == time(8, 30)
    assert LA_TERMS.is_open(local.date())
    # No open day's session start lies strictly between the recording and the deadline.
    day = recorded_at.astimezone(LONDON).date()
    while day < local.date():
        start = datetime.combine(day, time(8, 30), tzinfo=LONDON)
        assert not (LA_TERMS.is_open(day) and start > recorded_at)
        day += timedelta(days=1)

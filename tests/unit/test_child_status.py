"""A child's status from its status events, and the child_status projection's mapping."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from projections.child_status import CP_PLAN, LOOKED_AFTER, rows
from projections.child_status.current import CurrentStatus, StatusEvent, current_status
from projections.model import SourceRecord
from schemas import codec
from schemas.topics import ACCEPTED
from tests.unit.event_samples import sample_event

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def ev(n: int, status: str, started: bool, episode: str, team: str, days: int) -> StatusEvent:
    return StatusEvent(
        status=status,
        started=started,
        episode_id=episode,
        responsible_team_id=team,
        occurred_at=T0 + timedelta(days=days),
        event_id=f"e{n}",
    )


def test_no_events_no_status() -> None:
    assert current_status([]) is None


def test_an_open_plan_names_its_team_and_an_ended_one_nothing() -> None:
    start = ev(1, CP_PLAN, True, "CPP-1", "cin-2", 0)
    assert current_status([start]) == CurrentStatus(CP_PLAN, "cin-2")
    assert current_status([start, ev(2, CP_PLAN, False, "CPP-1", "cin-2", 40)]) is None


def test_ends_pair_with_their_own_episode() -> None:
    # Plan 1 ended, plan 2 (a new plan later) still open: the end of 1 must not close 2.
    events = [
        ev(1, CP_PLAN, True, "CPP-1", "cin-2", 0),
        ev(2, CP_PLAN, False, "CPP-1", "cin-2", 30),
        ev(3, CP_PLAN, True, "CPP-2", "cin-4", 60),
    ]
    for order in itertools.permutations(events):  # arrival order does not matter
        assert current_status(order) == CurrentStatus(CP_PLAN, "cin-4")


def test_a_plan_is_named_before_a_period_looked_after() -> None:
    events = [
        ev(1, LOOKED_AFTER, True, "LAC-1", "cla-1", 0),
        ev(2, CP_PLAN, True, "CPP-1", "cin-2", 5),
    ]
    assert current_status(events) == CurrentStatus(CP_PLAN, "cin-2")
    ended = [*events, ev(3, CP_PLAN, False, "CPP-1", "cin-2", 9)]
    assert current_status(ended) == CurrentStatus(LOOKED_AFTER, "cla-1")


def test_an_end_before_its_start_in_time_does_not_leave_the_episode_open() -> None:
    # Backdated recording: the end happened later than the start, whatever the arrival order.
    assert current_status([ev(2, CP_PLAN, False, "CPP-1", "t", 3), ev(1, CP_PLAN, True, "CPP-1", "t", 1)]) is None  # fmt: skip


def _record(event_type: str) -> SourceRecord:
    value = codec.encode(event_type, sample_event(event_type))
    return SourceRecord(topic=ACCEPTED, partition=0, offset=7, key=None, value=value)


def test_the_mapping_keeps_episode_and_responsible_team() -> None:
    (row,) = rows(_record("ChildProtectionPlanStarted"))
    assert (row.status, row.started, row.episode_id) == (CP_PLAN, True, "CPP-5521")
    assert row.responsible_team_id == "stockton-cin-2"
    (ended,) = rows(_record("LookedAfterEnded"))
    assert (ended.status, ended.started) == (LOOKED_AFTER, False)


def test_the_mapping_ignores_other_events() -> None:
    assert rows(_record("ConcernRaised")) == ()

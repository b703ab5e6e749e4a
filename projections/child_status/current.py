"""A child's status now, from its status events: pure, so the read API and tests share it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from projections.child_status.mapping import CP_PLAN, LOOKED_AFTER


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusEvent:
    """What the read API needs of a child_status_events row."""

    status: str
    started: bool
    episode_id: str
    responsible_team_id: str
    occurred_at: datetime
    event_id: str


@dataclass(frozen=True, slots=True)
class CurrentStatus:
    status: str
    responsible_team_id: str


def current_status(events: Iterable[StatusEvent]) -> CurrentStatus | None:
    """The open episode that matters most (a CP plan before looked after), or None.

    Starts and ends pair by episode id (plan_id / period_id), so an end of one plan does not
    close another; events are taken in the order they happened, whatever order they arrived in.
    The team is the open episode's latest responsible team (a case transfer restates it).
    """
    open_: dict[tuple[str, str], StatusEvent] = {}
    for e in sorted(events, key=lambda e: (e.occurred_at, not e.started, e.event_id)):
        if e.started:
            open_[(e.status, e.episode_id)] = e
        else:
            open_.pop((e.status, e.episode_id), None)
    for status in (CP_PLAN, LOOKED_AFTER):
        latest = max(
            (e for (s, _), e in open_.items() if s == status),
            key=lambda e: (e.occurred_at, e.event_id),
            default=None,
        )
        if latest is not None:
            return CurrentStatus(status, latest.responsible_team_id)
    return None

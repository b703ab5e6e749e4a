"""child_status: the social care status events of the accepted log, with their episode and team.

One row per ChildProtectionPlanStarted / Ended and LookedAfterStarted / Ended. The read API joins
them to chronology_events for the child, pairs starts and ends by episode (plan_id or period_id)
and tells the responsible team of reads while an episode is open.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from projections.model import SourceRecord, decode_or_skip, framed_outside

CP_PLAN: Final = "CHILD_PROTECTION_PLAN"  # as RecordViewed.child_status names it
LOOKED_AFTER: Final = "LOOKED_AFTER"

# event type -> (status, started, the field naming the episode)
STATUS_EVENTS: Final[dict[str, tuple[str, bool, str]]] = {
    "ChildProtectionPlanStarted": (CP_PLAN, True, "plan_id"),
    "ChildProtectionPlanEnded": (CP_PLAN, False, "plan_id"),
    "LookedAfterStarted": (LOOKED_AFTER, True, "period_id"),
    "LookedAfterEnded": (LOOKED_AFTER, False, "period_id"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusEventRow:
    """A row of child_status_events."""

    event_id: uuid.UUID
    event_type: str
    status: str
    started: bool
    episode_id: str
    responsible_team_id: str
    agency_id: str
    occurred_at: datetime
    recorded_at: datetime


def rows(record: SourceRecord) -> Sequence[StatusEventRow]:
    """The row for one accepted record, if it starts or ends a CP plan or a period looked after."""
    if framed_outside(record, STATUS_EVENTS):
        return ()
    decoded = decode_or_skip(record)
    shape = STATUS_EVENTS.get(decoded.event_type)
    if shape is None:
        return ()
    status, started, episode_field = shape
    e = decoded.record
    return (
        StatusEventRow(
            event_id=e["event_id"],
            event_type=decoded.event_type,
            status=status,
            started=started,
            episode_id=e[episode_field],
            responsible_team_id=e["responsible_team_id"],
            agency_id=e["source"]["agency_id"],
            occurred_at=e["occurred_at"],
            recorded_at=e["recorded_at"],
        ),
    )

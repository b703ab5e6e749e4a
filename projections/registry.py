"""Every projection the hub runs. Add a new one here (and its migration) to have it run."""

from __future__ import annotations

from projections import (
    accepted_events,
    audit_log,
    child_status,
    dead_letters,
    encompass_alerts,
    referrals,
    reporting,
    shares,
)
from projections.chronology import CHILD_RECORDS, ENTRIES
from projections.erasure import PROJECTION as ERASURE
from projections.model import Projection

PROJECTIONS: tuple[Projection, ...] = (
    accepted_events.PROJECTION,
    dead_letters.PROJECTION,
    shares.PROJECTION,
    encompass_alerts.PROJECTION,
    ENTRIES,
    CHILD_RECORDS,
    audit_log.PROJECTION,
    child_status.PROJECTION,
    ERASURE,
    referrals.PROJECTION,
    reporting.PROJECTION,
)


def names() -> tuple[str, ...]:
    return tuple(p.name for p in PROJECTIONS)


def get(name: str) -> Projection:
    """The projection called ``name``; KeyError naming the known ones otherwise."""
    for projection in PROJECTIONS:
        if projection.name == name:
            return projection
    raise KeyError(f"no projection '{name}'; known: {', '.join(names())}")

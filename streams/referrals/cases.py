"""Whether a child's record is open to social care when a referral about it is made, as a pure fold.

Kept per record id (the spine's key). A record is open to social care at a moment when, in
some slot (a child protection plan, a looked-after period, a case stepped up to social care),
the latest change at or before that moment opened it; the allocated team is the opening
event's team, the slots read in that order (`team_at`).

A referral is decided as of when it was made (its ``occurred_at``), from every change of the
record known so far, never from the order things arrived in: the spine interleaves the accepted
log's partitions, so a plan started before the referral can reach the spine after it, and a
plan started after it can reach the spine first. Each referral of the record is therefore held
with the team it was routed to; a change arriving later that alters the answer as of a held
referral's time re-routes it (`case_changed` returns it). Once every event has arrived, every
held referral's team is `team_at(all changes, made_at)`, whatever the order was. A change after
the referral was made never re-routes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final

SLOTS: Final = ("cp", "lac", "case")  # read in this order: the first open one's team is told
_LEGACY_AT: Final = datetime(1900, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseChange:
    """A plan, period or case opening or closing for the record (ids and times only)."""

    event_id: str
    slot: str
    opens: bool
    at: datetime
    team: str | None = None  # the allocated team, for an opening

    def __post_init__(self) -> None:
        if self.slot not in SLOTS:
            raise ValueError(f"unknown slot {self.slot!r}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("a case change's time must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class Held:
    """A referral about the record, and the team its routing for this record last named."""

    referral_id: str
    made_at: datetime
    team: str | None
    trigger: str | None = None  # the change that last re-routed it (None: its first routing)
    made: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordCases:
    """What the referral stage keeps per record id."""

    changes: tuple[CaseChange, ...] = ()  # in (at, event_id) order
    held: tuple[Held, ...] = ()  # in referral_id order

    def to_json(self) -> str:
        return json.dumps(
            {
                "changes": [
                    [c.event_id, c.slot, c.opens, c.at.isoformat(), c.team] for c in self.changes
                ],
                "held": [
                    [h.referral_id, h.made_at.isoformat(), h.team, h.trigger, dict(h.made)]
                    for h in self.held
                ],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> RecordCases:
        """Read a stored value; the older form (slot -> team open now) reads as always open."""
        if not text:
            return cls()
        data: dict[str, Any] = json.loads(text)
        if "changes" not in data:
            return cls(
                changes=_ordered(
                    CaseChange(
                        event_id=f"legacy:{slot}",
                        slot=slot,
                        opens=True,
                        at=_LEGACY_AT,
                        team=str(team),
                    )
                    for slot, team in data.items()
                    if slot in SLOTS
                )
            )
        return cls(
            changes=_ordered(
                CaseChange(event_id=e, slot=s, opens=o, at=datetime.fromisoformat(a), team=t)
                for e, s, o, a, t in data["changes"]
            ),
            held=tuple(
                Held(referral_id=r, made_at=datetime.fromisoformat(m), team=t, trigger=g, made=made)
                for r, m, t, g, made in data["held"]
            ),
        )


def _ordered(changes: Iterable[CaseChange]) -> tuple[CaseChange, ...]:
    return tuple(sorted(changes, key=lambda c: (c.at, c.event_id)))


def team_at(changes: Iterable[CaseChange], moment: datetime) -> str | None:
    """The allocated team of the record at `moment` (None: not open to social care then)."""
    latest: dict[str, CaseChange] = {}
    for change in changes:
        if change.at <= moment:
            known = latest.get(change.slot)
            if known is None or (change.at, change.event_id) > (known.at, known.event_id):
                latest[change.slot] = change
    for slot in SLOTS:
        found = latest.get(slot)
        if found is not None and found.opens:
            return found.team
    return None


def case_changed(state: RecordCases, change: CaseChange) -> tuple[RecordCases, list[Held]]:
    """Add a change; the held referrals it re-routes, with their new team. A redelivered change
    returns the re-routings it made the first time (so they are derived again, same ids)."""
    if any(c.event_id == change.event_id for c in state.changes):
        return state, [h for h in state.held if h.trigger == change.event_id]
    changes = _ordered((*state.changes, change))
    rerouted: list[Held] = []
    held: list[Held] = []
    for h in state.held:
        team = team_at(changes, h.made_at)
        if team != h.team:
            h = replace(h, team=team, trigger=change.event_id)
            rerouted.append(h)
        held.append(h)
    return replace(state, changes=changes, held=tuple(held)), rerouted


def referral_arrived(
    state: RecordCases, *, referral_id: str, made_at: datetime, made: Mapping[str, Any]
) -> tuple[RecordCases, Held]:
    """Route a referral about the record as of when it was made; a redelivery gets the held
    referral as it is now (its latest routing, derived again with the same id)."""
    for h in state.held:
        if h.referral_id == referral_id:
            return state, h
    new = Held(
        referral_id=referral_id,
        made_at=made_at,
        team=team_at(state.changes, made_at),
        made=dict(made),
    )
    held = tuple(sorted((*state.held, new), key=lambda h: h.referral_id))
    return replace(state, held=held), new

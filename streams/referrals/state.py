"""A referral's state (ids, times and statuses only, never content) and its timers, as pure folds.

Time limits (rules.yaml), all in working time counted from when the referral was made (its
``occurred_at``):

- ACKNOWLEDGEMENT: the receiving team acknowledges within its limit (front door: one working
  day). A triage rating, a PiTstop decision or an outcome also count as acknowledging it.
- DECISION: the receiving team decides what happens within its limit (front door: one working
  day, met by the RAG rating or an outcome; PiTstop: the panel's decision or an outcome;
  others: the outcome).
- OUTCOME (front door, once RAG-rated): the outcome is due within the rating's allowance
  (red 4, amber 24, green 72 working hours) from when the referral was made. Re-rating needs a
  rationale; the latest rating's allowance then applies, still counted from when the referral was
  made (time already spent counts, so re-rating cannot buy time beyond the new rating's
  allowance), except that whoever rates or re-rates always has at least ``rerating_minimum``
  (4 working hours) from that moment to act (an urgent re-rating is never overdue at once).

A timer is missed when its deadline has come (``deadline <= now``) and nothing met it by the
deadline: not met at all, or met later (a late answer still counts as overdue in the
indicators). Overdue detection is a pure function of (state, now, rules); each missed
(timer, deadline) is raised once. Events for one referral can arrive in any order (outcome
before the referral, a re-rating before the first rating): the state keeps times, not order.

Routing: a referral about several children is routed once per child record (and re-routed when
a record's social care involvement as of the referral turns out different: see
streams.referrals.cases). The state keeps the latest routing of each record; the referral's own
route is a function of that set, never of which record's routing arrived first: the allocated
team of the first record (by record id) whose child is open to social care, else the first
record's route (routes as named differ only in the record). See `effective_route`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from streams.referrals.rules import Destination, Rag, Route, RouteReason, Rules
from streams.referrals.workhours import add_working_time


class TimerKind(StrEnum):
    """What a time limit is for."""

    ACKNOWLEDGEMENT = "ACKNOWLEDGEMENT"
    DECISION = "DECISION"
    OUTCOME = "OUTCOME"


class Rejected(ValueError):
    """An event the referral's state cannot take; `code` is a fixed dead-letter reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True, kw_only=True)
class Rating:
    """One RAG rating (the first, or a re-rating)."""

    rag: Rag
    rated_at: datetime
    event_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """One ReferralOutcomeRecorded, and whether the referrer has been told."""

    event_id: str
    outcome: str
    decided_at: datetime
    returned: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer:
    """A time limit of one referral: when it is due and when (if ever) it was met."""

    kind: TimerKind
    deadline: datetime
    met_at: datetime | None

    def missed_by(self, now: datetime) -> bool:
        return self.deadline <= now and (self.met_at is None or self.met_at > self.deadline)


@dataclass(frozen=True, slots=True, kw_only=True)
class Missed:
    """A timer that ran out: the referral is overdue (to the receiving team's manager)."""

    referral_id: str
    kind: TimerKind
    deadline: datetime
    receiving_agency_id: str
    referrer_agency_id: str
    met_late_at: datetime | None  # answered, but after the deadline


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRoute:
    """The latest routing of a referral for one child record ("" : the referral names none)."""

    record_id: str
    route: Route
    event_id: str  # the ReferralRouted that said it


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralState:
    """What the hub tracks for one referral (keyed by referral_id)."""

    referral_id: str
    made_event_id: str | None = None
    made_at: datetime | None = None
    referrer_agency_id: str | None = None
    named_destination: Destination | None = None
    destination: Destination | None = None  # after routing
    receiving_agency_id: str | None = None
    routed: bool = False
    routes: tuple[RecordRoute, ...] = ()  # in record_id order
    acknowledged_at: datetime | None = None
    decided_at: datetime | None = None  # PiTstop panel decision
    ratings: tuple[Rating, ...] = ()  # in rated_at order
    outcomes: tuple[Outcome, ...] = ()  # in decided_at order
    raised: frozenset[tuple[TimerKind, datetime]] = frozenset()

    # --- derived ---------------------------------------------------------------------------

    @property
    def outcome(self) -> Outcome | None:
        """The first outcome recorded (later ones are kept and returned too)."""
        return self.outcomes[0] if self.outcomes else None

    @property
    def rating(self) -> Rating | None:
        return self.ratings[-1] if self.ratings else None

    def to_json(self) -> str:
        return json.dumps(
            {
                "referral_id": self.referral_id,
                "made_event_id": self.made_event_id,
                "made_at": _t(self.made_at),
                "referrer_agency_id": self.referrer_agency_id,
                "named_destination": self.named_destination,
                "destination": self.destination,
                "receiving_agency_id": self.receiving_agency_id,
                "routed": self.routed,
                "routes": [
                    [
                        r.record_id,
                        r.event_id,
                        r.route.destination,
                        r.route.receiving_agency_id,
                        r.route.reason,
                        r.route.rule,
                        r.route.allocated_team_id,
                    ]
                    for r in self.routes
                ],
                "acknowledged_at": _t(self.acknowledged_at),
                "decided_at": _t(self.decided_at),
                "ratings": [[r.rag, _t(r.rated_at), r.event_id] for r in self.ratings],
                "outcomes": [
                    [o.event_id, o.outcome, _t(o.decided_at), o.returned] for o in self.outcomes
                ],
                "raised": sorted([k, _t(d)] for k, d in self.raised),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ReferralState:
        d: dict[str, Any] = json.loads(text)
        return cls(
            referral_id=d["referral_id"],
            made_event_id=d["made_event_id"],
            made_at=_p(d["made_at"]),
            referrer_agency_id=d["referrer_agency_id"],
            named_destination=_dest(d["named_destination"]),
            destination=_dest(d["destination"]),
            receiving_agency_id=d["receiving_agency_id"],
            routed=d["routed"],
            routes=tuple(
                RecordRoute(
                    record_id=record,
                    event_id=event_id,
                    route=Route(
                        destination=Destination(dest),
                        receiving_agency_id=receiving,
                        reason=RouteReason(reason),
                        rule=rule,
                        allocated_team_id=team,
                    ),
                )
                for record, event_id, dest, receiving, reason, rule, team in d.get("routes", [])
            ),
            acknowledged_at=_p(d["acknowledged_at"]),
            decided_at=_p(d["decided_at"]),
            ratings=tuple(
                Rating(rag=Rag(r), rated_at=_req(_p(at)), event_id=e) for r, at, e in d["ratings"]
            ),
            outcomes=tuple(
                Outcome(event_id=e, outcome=o, decided_at=_req(_p(at)), returned=ret)
                for e, o, at, ret in d["outcomes"]
            ),
            raised=frozenset((TimerKind(k), _req(_p(at))) for k, at in d["raised"]),
        )


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _p(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _req(value: datetime | None) -> datetime:
    if value is None:
        raise ValueError("a stored time is missing")
    return value


def _dest(value: str | None) -> Destination | None:
    return None if value is None else Destination(value)


def _earliest(*times: datetime | None) -> datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


# --- folds --------------------------------------------------------------------------------------


def empty(referral_id: str) -> ReferralState:
    return ReferralState(referral_id=referral_id)


def made(
    state: ReferralState,
    *,
    event_id: str,
    made_at: datetime,
    referrer_agency_id: str,
    destination: Destination,
) -> ReferralState | None:
    """The referral itself; None for a redelivery. A second referral under the same id is refused."""
    _aware(made_at, "made_at")
    if state.made_event_id == event_id:
        return None
    if state.made_event_id is not None:
        raise Rejected("duplicate_referral_id", "another referral already uses this referral_id")
    return replace(
        state,
        made_event_id=event_id,
        made_at=made_at,
        referrer_agency_id=referrer_agency_id,
        named_destination=destination,
    )


def effective_route(routes: Iterable[RecordRoute]) -> RecordRoute | None:
    """The referral's route from its records' routings, whatever order they arrived in: the
    first record (by id) whose child's allocated team is told, else the first record."""
    ordered = sorted(routes, key=lambda r: r.record_id)
    told = [r for r in ordered if r.route.allocated_team_id is not None]
    candidates = told or ordered
    return candidates[0] if candidates else None


def routed(
    state: ReferralState, route: Route, *, record_id: str | None = None, event_id: str = ""
) -> ReferralState | None:
    """Record one record's routing (the latest for a record replaces the one before; None when
    it says nothing new). The referral's destination and receiving team follow
    `effective_route`."""
    key = record_id or ""
    current = next((r for r in state.routes if r.record_id == key), None)
    if current is not None and current.route == route:
        return None
    entry = RecordRoute(record_id=key, route=route, event_id=event_id)
    routes = tuple(
        sorted((*(r for r in state.routes if r.record_id != key), entry), key=lambda r: r.record_id)
    )
    chosen = effective_route(routes)
    assert chosen is not None  # routes holds at least `entry`
    return replace(
        state,
        routed=True,
        routes=routes,
        destination=chosen.route.destination,
        receiving_agency_id=chosen.route.receiving_agency_id,
    )


def acknowledged(state: ReferralState, at: datetime) -> ReferralState | None:
    """The receiving team acknowledged it (the earliest acknowledgement counts)."""
    _aware(at, "acknowledged_at")
    if state.acknowledged_at is not None and state.acknowledged_at <= at:
        return None
    return replace(state, acknowledged_at=at)


def triaged(
    state: ReferralState, *, event_id: str, rag: Rag, at: datetime, rationale: str | None
) -> ReferralState | None:
    """A RAG rating; a re-rating (any rating after an earlier one) needs a rationale."""
    _aware(at, "rated_at")
    if any(r.event_id == event_id for r in state.ratings):
        return None
    earlier = [r for r in state.ratings if r.rated_at <= at]
    if earlier and not (rationale and rationale.strip()):
        raise Rejected("rerating_without_rationale", "a re-rating must give its rationale")
    rating = Rating(rag=rag, rated_at=at, event_id=event_id)
    ratings = tuple(sorted((*state.ratings, rating), key=lambda r: (r.rated_at, r.event_id)))
    return replace(state, ratings=ratings)


def panel_decided(state: ReferralState, at: datetime) -> ReferralState | None:
    """The PiTstop panel recorded its decision (the earliest counts)."""
    _aware(at, "decided_at")
    if state.decided_at is not None and state.decided_at <= at:
        return None
    return replace(state, decided_at=at)


def outcome_recorded(
    state: ReferralState, *, event_id: str, outcome: str, at: datetime
) -> ReferralState | None:
    """An outcome; every one goes back to the referrer. None for a redelivery."""
    _aware(at, "decided_at")
    if any(o.event_id == event_id for o in state.outcomes):
        return None
    entry = Outcome(event_id=event_id, outcome=outcome, decided_at=at)
    outcomes = tuple(sorted((*state.outcomes, entry), key=lambda o: (o.decided_at, o.event_id)))
    return replace(state, outcomes=outcomes)


def outcomes_to_return(state: ReferralState) -> list[Outcome]:
    """Outcomes the referrer has not been told of yet (needs the referral: who referred)."""
    if state.referrer_agency_id is None:
        return []
    return [o for o in state.outcomes if not o.returned]


def outcome_returned(state: ReferralState, event_id: str) -> ReferralState | None:
    """Mark an outcome as returned to the referrer (None if it already was)."""
    if not any(o.event_id == event_id and not o.returned for o in state.outcomes):
        return None
    return replace(
        state,
        outcomes=tuple(
            replace(o, returned=True) if o.event_id == event_id else o for o in state.outcomes
        ),
    )


# --- timers -------------------------------------------------------------------------------------


def outcome_deadline(made_at: datetime, rating: Rating, rules: Rules) -> datetime:
    """The outcome deadline under the rating in force (see the module doc for re-rating)."""
    calendar = rules.calendar
    from_receipt = add_working_time(made_at, rules.rag[rating.rag], calendar)
    floor = add_working_time(rating.rated_at, rules.rerating_minimum, calendar)
    return max(from_receipt, floor)


def timers(state: ReferralState, rules: Rules) -> list[Timer]:
    """Every time limit of the referral (none until it is made and routed)."""
    if state.made_at is None or state.destination is None:
        return []
    limits = rules.destinations[state.destination]
    calendar = rules.calendar
    first_rating = state.ratings[0].rated_at if state.ratings else None
    outcome_at = state.outcome.decided_at if state.outcome else None
    decision_met = (
        _earliest(first_rating, outcome_at)
        if state.destination is Destination.FRONT_DOOR
        else _earliest(state.decided_at, outcome_at)
        if state.destination is Destination.PITSTOP
        else outcome_at
    )
    found = [
        Timer(
            kind=TimerKind.ACKNOWLEDGEMENT,
            deadline=add_working_time(state.made_at, limits.acknowledge_within, calendar),
            met_at=_earliest(state.acknowledged_at, first_rating, state.decided_at, outcome_at),
        ),
        Timer(
            kind=TimerKind.DECISION,
            deadline=add_working_time(state.made_at, limits.decide_within, calendar),
            met_at=decision_met,
        ),
    ]
    if state.rating is not None:
        found.append(
            Timer(
                kind=TimerKind.OUTCOME,
                deadline=outcome_deadline(state.made_at, state.rating, rules),
                met_at=outcome_at,
            )
        )
    return found


def missed(state: ReferralState, now: datetime, rules: Rules) -> list[Missed]:
    """Timers run out by `now` and not raised yet (each (kind, deadline) once)."""
    _aware(now, "now")
    if state.receiving_agency_id is None or state.referrer_agency_id is None:
        return []
    return [
        Missed(
            referral_id=state.referral_id,
            kind=t.kind,
            deadline=t.deadline,
            receiving_agency_id=state.receiving_agency_id,
            referrer_agency_id=state.referrer_agency_id,
            met_late_at=t.met_at,
        )
        for t in timers(state, rules)
        if t.missed_by(now) and (t.kind, t.deadline) not in state.raised
    ]


def mark_raised(state: ReferralState, kind: TimerKind, deadline: datetime) -> ReferralState | None:
    """Record an overdue event as raised; None when it already was (a timer fired twice)."""
    if (kind, deadline) in state.raised:
        return None
    return replace(state, raised=state.raised | {(kind, deadline)})


def all_missed(states: Iterable[ReferralState], now: datetime, rules: Rules) -> list[Missed]:
    """`missed` over many referrals (the timer's sweep)."""
    return [m for s in states for m in missed(s, now, rules)]


def next_deadline(state: ReferralState, rules: Rules) -> datetime | None:
    """The earliest deadline still open (not met and not raised), for display."""
    open_ = [
        t.deadline
        for t in timers(state, rules)
        if t.met_at is None and (t.kind, t.deadline) not in state.raised
    ]
    return min(open_) if open_ else None

"""A child's consent position and social-care status, each a pure fold over events.

The states hold ids, flags and times only, never personal details: they live in faust
tables, whose changelog topics are a second copy of whatever a table holds.

Events may arrive late or twice. Each part of a state remembers when it last changed and
ignores anything older, so the fold gives the same answer whatever the delivery order;
at the same instant a withdrawal beats a grant (when unsure, do not share on consent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import overload

from streams.policy.vocabulary import ChildCondition


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("event times must be timezone-aware (UTC)")


# ---- events (the domain's view: the agent maps decoded records onto these) ----


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentGiven:
    """Consent given for a scope; `by` is the id of the person who gave it."""

    scope: str
    by: str
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentWithdrawn:
    """Consent withdrawn for a scope; `by` is the id of the person who withdrew it."""

    scope: str
    by: str
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildProtectionPlanStarted:
    """A child protection plan started; `responsible_team` is the social-care team's id."""

    at: datetime
    responsible_team: str

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildProtectionPlanEnded:
    """The child protection plan ended (the child may stay open to social care)."""

    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class LookedAfterStarted:
    """The child became looked after; `responsible_team` is the social-care team's id."""

    at: datetime
    responsible_team: str

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class LookedAfterEnded:
    """The child stopped being looked after."""

    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class SteppedUp:
    """The case stepped up to children's social care (need level 4, specialist)."""

    at: datetime
    responsible_team: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True, kw_only=True)
class SteppedDown:
    """The case stepped down from social care to early help: the social-care case closes."""

    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


ConsentEvent = ConsentGiven | ConsentWithdrawn
StatusEvent = (
    ChildProtectionPlanStarted
    | ChildProtectionPlanEnded
    | LookedAfterStarted
    | LookedAfterEnded
    | SteppedUp
    | SteppedDown
)


# ---- states ----


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeConsent:
    """The latest consent decision for one scope."""

    scope: str
    given: bool
    by: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentState:
    """A child's consent, one latest decision per scope (sorted by scope)."""

    scopes: tuple[ScopeConsent, ...] = ()

    def decision(self, scope: str) -> ScopeConsent | None:
        """The latest decision for a scope, or None if none was ever recorded."""
        return next((s for s in self.scopes if s.scope == scope), None)

    def is_given(self, scope: str) -> bool:
        """Whether consent for the scope stands now."""
        found = self.decision(scope)
        return found is not None and found.given

    def is_withdrawn(self, scope: str) -> bool:
        """Whether consent for the scope was given at some point and has been withdrawn."""
        found = self.decision(scope)
        return found is not None and not found.given


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildStatus:
    """What social care knows about the child: plan, care, and which team has the case.

    The `*_changed_at` times order late events; they are not shown to anyone.
    """

    cp_plan_active: bool = False
    looked_after: bool = False
    case_open: bool = False
    social_care_team: str | None = None
    cp_changed_at: datetime | None = None
    looked_after_changed_at: datetime | None = None
    case_changed_at: datetime | None = None
    team_changed_at: datetime | None = None

    @property
    def open_to_social_care(self) -> bool:
        """Open to children's social care: on a plan, looked after, or an open case."""
        return self.cp_plan_active or self.looked_after or self.case_open

    def satisfies(self, condition: ChildCondition) -> bool:
        """Whether a rule's `only_when_child_is` condition holds."""
        if condition is ChildCondition.ON_CP_PLAN:
            return self.cp_plan_active
        if condition is ChildCondition.LOOKED_AFTER:
            return self.looked_after
        return self.open_to_social_care


# ---- the fold ----


@overload
def apply(state: ConsentState, event: ConsentEvent) -> ConsentState: ...
@overload
def apply(state: ChildStatus, event: StatusEvent) -> ChildStatus: ...
def apply(
    state: ConsentState | ChildStatus, event: ConsentEvent | StatusEvent
) -> ConsentState | ChildStatus:
    """The state after one event (events older than the state's knowledge are ignored)."""
    return _apply_any(state, event)


@overload
def fold(state: ConsentState, events: Iterable[ConsentEvent]) -> ConsentState: ...
@overload
def fold(state: ChildStatus, events: Iterable[StatusEvent]) -> ChildStatus: ...
def fold(
    state: ConsentState | ChildStatus, events: Iterable[ConsentEvent | StatusEvent]
) -> ConsentState | ChildStatus:
    """Apply events in order; a convenience for replays and tests."""
    for event in events:
        state = _apply_any(state, event)
    return state


def _apply_any(
    state: ConsentState | ChildStatus, event: ConsentEvent | StatusEvent
) -> ConsentState | ChildStatus:
    if isinstance(state, ConsentState) and isinstance(event, ConsentGiven | ConsentWithdrawn):
        return _apply_consent(state, event)
    if isinstance(state, ChildStatus) and not isinstance(event, ConsentGiven | ConsentWithdrawn):
        return _apply_status(state, event)
    raise TypeError(f"{type(event).__name__} does not apply to {type(state).__name__}")


def _apply_consent(state: ConsentState, event: ConsentEvent) -> ConsentState:
    given = isinstance(event, ConsentGiven)
    current = state.decision(event.scope)
    if current is not None and _older(event.at, given, current.at, current.given):
        return state
    decision = ScopeConsent(scope=event.scope, given=given, by=event.by, at=event.at)
    others = tuple(s for s in state.scopes if s.scope != event.scope)
    return ConsentState(scopes=tuple(sorted((*others, decision), key=lambda s: s.scope)))


def _older(at: datetime, given: bool, current_at: datetime, current_given: bool) -> bool:
    # Same instant: a withdrawal stays withdrawn; a repeat of the same decision changes
    # nothing but is harmless to apply.
    if at != current_at:
        return at < current_at
    return given and not current_given


def _apply_status(state: ChildStatus, event: StatusEvent) -> ChildStatus:
    # Each aspect (plan, care, case, team) keeps its own clock, so a late event updates what it
    # is newest about and nothing else.
    plan = isinstance(event, ChildProtectionPlanStarted | ChildProtectionPlanEnded)
    if plan and not _stale(event.at, state.cp_changed_at):
        started = isinstance(event, ChildProtectionPlanStarted)
        state = replace(state, cp_plan_active=started, cp_changed_at=event.at)
    care = isinstance(event, LookedAfterStarted | LookedAfterEnded)
    if care and not _stale(event.at, state.looked_after_changed_at):
        started = isinstance(event, LookedAfterStarted)
        state = replace(state, looked_after=started, looked_after_changed_at=event.at)
    # Starting a plan, care or a step up opens the case; ending a plan or care does not
    # close it (the child may remain a child in need); only a step down does. The team
    # keeps its own clock because a step up may not name one.
    opens = isinstance(event, ChildProtectionPlanStarted | LookedAfterStarted | SteppedUp)
    closes = isinstance(event, SteppedDown)
    if (opens or closes) and not _stale(event.at, state.case_changed_at):
        state = replace(state, case_open=opens, case_changed_at=event.at)
    team = (
        event.responsible_team
        if isinstance(event, ChildProtectionPlanStarted | LookedAfterStarted | SteppedUp)
        else None
    )
    if (team is not None or closes) and not _stale(event.at, state.team_changed_at):
        state = replace(state, social_care_team=team, team_changed_at=event.at)
    return state


def _stale(at: datetime, changed_at: datetime | None) -> bool:
    return changed_at is not None and at < changed_at

"""Consent and social-care status as folds: what they remember, and late or repeated events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.policy.consent import (
    ChildProtectionPlanEnded,
    ChildProtectionPlanStarted,
    ChildStatus,
    ConsentGiven,
    ConsentState,
    ConsentWithdrawn,
    LookedAfterEnded,
    LookedAfterStarted,
    StatusEvent,
    SteppedDown,
    SteppedUp,
    apply,
    fold,
)
from streams.policy.vocabulary import ChildCondition

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCOPE = "EARLY_HELP_SHARING"


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_consent_given_then_withdrawn() -> None:
    given_ = fold(ConsentState(), [ConsentGiven(scope=SCOPE, by="parent-1", at=at(0))])
    assert given_.is_given(SCOPE)
    assert not given_.is_withdrawn(SCOPE)
    withdrawn = apply(given_, ConsentWithdrawn(scope=SCOPE, by="parent-1", at=at(1)))
    assert not withdrawn.is_given(SCOPE)
    assert withdrawn.is_withdrawn(SCOPE)
    decision = withdrawn.decision(SCOPE)
    assert decision is not None
    assert (decision.by, decision.at) == ("parent-1", at(1))


def test_never_asked_is_neither_given_nor_withdrawn() -> None:
    assert not ConsentState().is_given(SCOPE)
    assert not ConsentState().is_withdrawn(SCOPE)


def test_scopes_are_independent() -> None:
    state = fold(
        ConsentState(),
        [
            ConsentGiven(scope=SCOPE, by="p", at=at(0)),
            ConsentGiven(scope="EARLY_HELP_SERVICE", by="p", at=at(0)),
            ConsentWithdrawn(scope=SCOPE, by="p", at=at(1)),
        ],
    )
    assert state.is_given("EARLY_HELP_SERVICE")
    assert state.is_withdrawn(SCOPE)


def test_a_late_grant_does_not_undo_a_later_withdrawal() -> None:
    withdrawn = fold(ConsentState(), [ConsentWithdrawn(scope=SCOPE, by="p", at=at(2))])
    assert apply(withdrawn, ConsentGiven(scope=SCOPE, by="p", at=at(1))) == withdrawn


def test_at_the_same_instant_withdrawal_wins() -> None:
    grant = ConsentGiven(scope=SCOPE, by="p", at=at(1))
    withdrawal = ConsentWithdrawn(scope=SCOPE, by="p", at=at(1))
    assert fold(ConsentState(), [grant, withdrawal]).is_withdrawn(SCOPE)
    assert fold(ConsentState(), [withdrawal, grant]).is_withdrawn(SCOPE)


def test_times_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ConsentGiven(scope=SCOPE, by="p", at=datetime(2026, 3, 2, 9, 0))


def test_events_apply_only_to_their_own_state() -> None:
    with pytest.raises(TypeError):
        apply(ChildStatus(), ConsentGiven(scope=SCOPE, by="p", at=T0))  # type: ignore[call-overload]


def test_plan_started_opens_the_case_and_ending_it_does_not_close_it() -> None:
    status = apply(ChildStatus(), ChildProtectionPlanStarted(at=at(0), responsible_team="north"))
    assert status.cp_plan_active
    assert status.satisfies(ChildCondition.ON_CP_PLAN)
    assert status.satisfies(ChildCondition.OPEN_TO_SOCIAL_CARE)
    assert status.social_care_team == "north"
    ended = apply(status, ChildProtectionPlanEnded(at=at(1)))
    assert not ended.satisfies(ChildCondition.ON_CP_PLAN)
    assert ended.satisfies(ChildCondition.OPEN_TO_SOCIAL_CARE)  # still a child in need
    closed = apply(ended, SteppedDown(at=at(2)))
    assert not closed.open_to_social_care
    assert closed.social_care_team is None


def test_looked_after_and_step_up() -> None:
    status = fold(ChildStatus(), [SteppedUp(at=at(0))])
    assert status.open_to_social_care
    assert status.social_care_team is None
    status = fold(status, [LookedAfterStarted(at=at(1), responsible_team="cla-team")])
    assert status.satisfies(ChildCondition.LOOKED_AFTER)
    assert status.social_care_team == "cla-team"
    status = apply(status, LookedAfterEnded(at=at(2)))
    assert not status.looked_after
    assert status.open_to_social_care


def _status_event(kind: int, hour: int) -> StatusEvent:
    when = at(hour)
    events: list[StatusEvent] = [
        ChildProtectionPlanStarted(at=when, responsible_team=f"team-{hour}"),
        ChildProtectionPlanEnded(at=when),
        LookedAfterStarted(at=when, responsible_team=f"team-{hour}"),
        LookedAfterEnded(at=when),
        SteppedUp(at=when, responsible_team=None if hour % 2 else f"team-{hour}"),
        SteppedDown(at=when),
    ]
    return events[kind]


# Distinct times: events at one instant are applied in arrival order, by design.
histories = st.lists(st.integers(0, 5), max_size=8).flatmap(
    lambda kinds: st.permutations(list(range(len(kinds)))).map(
        lambda hours: [_status_event(k, h) for k, h in zip(kinds, hours, strict=True)]
    )
)


@given(histories, st.randoms(use_true_random=False))
def test_status_does_not_depend_on_delivery_order(
    history: list[StatusEvent], random: Random
) -> None:
    shuffled = list(history)
    random.shuffle(shuffled)
    in_time_order = sorted(history, key=lambda e: e.at)
    assert fold(ChildStatus(), shuffled) == fold(ChildStatus(), in_time_order)


@given(histories)
def test_replaying_a_history_changes_nothing(history: list[StatusEvent]) -> None:
    once = fold(ChildStatus(), history)
    assert fold(once, history) == once


consent_histories = st.lists(
    st.tuples(st.sampled_from([SCOPE, "EARLY_HELP_SERVICE"]), st.booleans(), st.integers(0, 50)),
    max_size=10,
)


@given(consent_histories, st.randoms(use_true_random=False))
def test_consent_is_the_latest_decision_whatever_the_order(
    steps: list[tuple[str, bool, int]], random: Random
) -> None:
    events = [
        (ConsentGiven if given_ else ConsentWithdrawn)(scope=scope, by="p", at=at(hour))
        for scope, given_, hour in steps
    ]
    shuffled = list(events)
    random.shuffle(shuffled)
    state = fold(ConsentState(), shuffled)
    assert state == fold(ConsentState(), events)
    for scope in (SCOPE, "EARLY_HELP_SERVICE"):
        mine = [(hour, given_) for s, given_, hour in steps if s == scope]
        if not mine:
            assert state.decision(scope) is None
            continue
        latest = max(h for h, _ in mine)
        # The latest decision stands; a withdrawal at the same hour beats a grant.
        assert state.is_given(scope) == all(g for h, g in mine if h == latest)

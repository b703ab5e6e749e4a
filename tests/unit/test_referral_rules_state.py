"""Routing rules as configuration, and each referral time limit read like the rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from streams.referrals import state as s
from streams.referrals.rules import (
    DEFAULT_RULES,
    Destination,
    Rag,
    ReferralFacts,
    RouteReason,
    RulesError,
    load_rules,
    route,
    rules_from_mapping,
)
from streams.referrals.state import ReferralState, Rejected, TimerKind

LONDON = ZoneInfo("Europe/London")
RULES = load_rules()


def at(d: int, hh: int, mm: int = 0) -> datetime:
    """A London wall time in March 2026 (Monday 2nd ... Friday 6th, Monday 9th ...)."""
    return datetime(2026, 3, d, hh, mm, tzinfo=LONDON)


def police(destination: str, risk: str | None, category: str) -> ReferralFacts:
    return ReferralFacts(
        referrer_kind="POLICE",
        named_destination=Destination(destination),
        risk_level=risk,
        category=category,
    )


# --- routing -----------------------------------------------------------------------------------


def test_high_and_medium_risk_police_referrals_go_to_the_front_door() -> None:
    for risk in ("HIGH", "MEDIUM"):
        decided = route(police("FRONT_DOOR", risk, "domestic abuse"), RULES)
        assert decided.destination is Destination.FRONT_DOOR
        assert decided.receiving_agency_id == "stockton-childrens-hub"
        assert decided.reason is RouteReason.RULE


def test_standard_risk_below_threshold_concerns_go_to_pitstop() -> None:
    for category in ("child concern", "Vulnerable adult", "domestic abuse"):
        decided = route(police("FRONT_DOOR", "STANDARD", category), RULES)
        assert decided.destination is Destination.PITSTOP
        assert decided.receiving_agency_id == "cleveland-police-pitstop"
        assert decided.rule == "below-threshold-to-pitstop"


def test_other_referrals_go_where_the_referrer_named() -> None:
    school = ReferralFacts(
        referrer_kind="SCHOOL",
        named_destination=Destination.EARLY_HELP,
        risk_level=None,
        category="neglect",
    )
    decided = route(school, RULES)
    assert (decided.destination, decided.reason) == (Destination.EARLY_HELP, RouteReason.AS_NAMED)
    salt = ReferralFacts(
        referrer_kind="HEALTH",
        named_destination=Destination.HEALTH_SERVICE,
        risk_level=None,
        category="speech and language delay",
        service_name="Speech and language therapy",
    )
    assert route(salt, RULES).receiving_agency_id == "north-tees-salt"


def test_a_family_open_to_social_care_has_its_allocated_team_told_instead() -> None:
    decided = route(
        police("FRONT_DOOR", "HIGH", "domestic abuse"), RULES, allocated_team_id="cin-2"
    )
    assert decided.reason is RouteReason.OPEN_TO_SOCIAL_CARE
    assert decided.receiving_agency_id == decided.allocated_team_id == "cin-2"


def _raw() -> dict[str, object]:
    data = yaml.safe_load(DEFAULT_RULES.read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rag_hours"].pop("AMBER"), "exactly RED, AMBER and GREEN"),
        (lambda d: d["rag_hours"].update(RED=30), "RED <= AMBER <= GREEN"),
        (lambda d: d["destinations"].pop("PITSTOP"), r"missing \['PITSTOP'\]"),
        (lambda d: d["destinations"]["PITSTOP"].update(decide_within_hours=0), "positive"),
        (lambda d: d["routing"][0].update(route_to="MARS"), "unknown destination 'MARS'"),
        (lambda d: d["routing"][0].update(risk_levels=["EXTREME"]), "unknown \\['EXTREME'\\]"),
        (lambda d: d["routing"][1].update(name=d["routing"][0]["name"]), "unique"),
        (lambda d: d["working_hours"].update(day_start=540), 'quoted "HH:MM"'),
        (lambda d: d["working_hours"].update(weekdays=["MON", "FUNDAY"]), "FUNDAY"),
        (lambda d: d.update(surprise=1), "unknown keys \\['surprise'\\]"),
    ],
)
def test_a_bad_rules_file_is_refused_with_a_clear_error(change: object, message: str) -> None:
    data = _raw()
    change(data)  # type: ignore[operator]
    with pytest.raises(RulesError, match=message):
        rules_from_mapping(data)


def test_a_rules_file_error_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rag_hours: [1, 2]\n")
    with pytest.raises(RulesError, match=r"rules\.yaml"):
        load_rules(bad)


# --- timers ------------------------------------------------------------------------------------


def referral(made_at: datetime, destination: Destination = Destination.FRONT_DOOR) -> ReferralState:
    made = s.made(
        s.empty("REF-1"),
        event_id="e-made",
        made_at=made_at,
        referrer_agency_id="cleveland-police",
        destination=destination,
    )
    assert made is not None
    decided = route(police(destination.value, "HIGH", "domestic abuse"), RULES)
    if destination is not Destination.FRONT_DOOR:
        decided = route(
            ReferralFacts(
                referrer_kind="SCHOOL", named_destination=destination, risk_level=None, category="x"
            ),
            RULES,
        )
    routed = s.routed(made, decided)
    assert routed is not None
    return routed


def deadlines(state: ReferralState) -> dict[TimerKind, datetime]:
    return {t.kind: t.deadline for t in s.timers(state, RULES)}


def test_a_front_door_referral_is_acknowledged_and_decided_within_one_working_day() -> None:
    state = referral(at(2, 10))
    assert deadlines(state) == {
        TimerKind.ACKNOWLEDGEMENT: at(3, 10),
        TimerKind.DECISION: at(3, 10),
    }
    assert s.missed(state, at(3, 9, 59), RULES) == []
    kinds = {m.kind for m in s.missed(state, at(3, 10), RULES)}
    assert kinds == {TimerKind.ACKNOWLEDGEMENT, TimerKind.DECISION}


def test_a_referral_made_on_friday_night_is_due_on_monday_at_close() -> None:
    assert deadlines(referral(at(6, 22)))[TimerKind.ACKNOWLEDGEMENT] == at(9, 17)


def test_acknowledging_stops_only_the_acknowledgement_timer() -> None:
    state = s.acknowledged(referral(at(2, 10)), at(2, 11))
    assert state is not None
    assert [m.kind for m in s.missed(state, at(4, 9), RULES)] == [TimerKind.DECISION]


# Red: receipt + 4 h is 14:00, but whoever rates has at least 4 working hours: 14:30.
@pytest.mark.parametrize(("rag", "due"), [(Rag.RED, at(2, 14, 30)), (Rag.AMBER, at(5, 10)),
                                          (Rag.GREEN, at(13, 10))])  # fmt: skip
def test_the_rag_rating_sets_the_outcome_deadline_from_receipt(rag: Rag, due: datetime) -> None:
    state = s.triaged(referral(at(2, 10)), event_id="t1", rag=rag, at=at(2, 10, 30), rationale=None)
    assert state is not None
    assert deadlines(state)[TimerKind.OUTCOME] == due
    # The rating is the front door's decision: no decision overdue once rated in time.
    assert TimerKind.DECISION not in {m.kind for m in s.missed(state, due, RULES)}
    assert TimerKind.OUTCOME in {m.kind for m in s.missed(state, due, RULES)}


def test_a_re_rating_without_a_rationale_is_refused() -> None:
    state = s.triaged(
        referral(at(2, 10)), event_id="t1", rag=Rag.GREEN, at=at(2, 11), rationale=None
    )
    assert state is not None
    with pytest.raises(Rejected) as refused:
        s.triaged(state, event_id="t2", rag=Rag.RED, at=at(3, 11), rationale="  ")
    assert refused.value.code == "rerating_without_rationale"


def test_re_rating_to_red_leaves_four_working_hours_from_the_re_rating() -> None:
    green = s.triaged(
        referral(at(2, 10)), event_id="t1", rag=Rag.GREEN, at=at(2, 11), rationale=None
    )
    assert green is not None
    red = s.triaged(green, event_id="t2", rag=Rag.RED, at=at(4, 15), rationale="new disclosure")
    assert red is not None
    assert deadlines(red)[TimerKind.OUTCOME] == at(5, 11)  # Wed 15:00 + 4 h = Thu 11:00


def test_re_rating_down_counts_the_time_already_spent_from_receipt() -> None:
    red = s.triaged(referral(at(2, 10)), event_id="t1", rag=Rag.RED, at=at(2, 10), rationale=None)
    assert red is not None
    green = s.triaged(red, event_id="t2", rag=Rag.GREEN, at=at(2, 12), rationale="parent engaged")
    assert green is not None
    assert deadlines(green)[TimerKind.OUTCOME] == at(13, 10)  # receipt + 72, not re-rating + 72


def test_ratings_arriving_out_of_order_give_the_same_deadline() -> None:
    base = referral(at(2, 10))
    one = s.triaged(base, event_id="t1", rag=Rag.GREEN, at=at(2, 11), rationale=None)
    assert one is not None
    one = s.triaged(one, event_id="t2", rag=Rag.AMBER, at=at(3, 9), rationale="school call")
    two = s.triaged(base, event_id="t2", rag=Rag.AMBER, at=at(3, 9), rationale="school call")
    assert two is not None
    two = s.triaged(two, event_id="t1", rag=Rag.GREEN, at=at(2, 11), rationale=None)
    assert one is not None
    assert two is not None
    assert deadlines(one) == deadlines(two)
    assert one.rating is not None
    assert one.rating.rag is Rag.AMBER


def test_a_late_outcome_is_still_overdue_and_an_on_time_one_is_not() -> None:
    late = s.outcome_recorded(referral(at(2, 10)), event_id="o", outcome="ACCEPTED", at=at(3, 11))
    on_time = s.outcome_recorded(referral(at(2, 10)), event_id="o", outcome="ACCEPTED", at=at(3, 9))
    assert late is not None
    assert on_time is not None
    missed = s.missed(late, at(9, 9), RULES)
    assert {m.kind for m in missed} == {TimerKind.ACKNOWLEDGEMENT, TimerKind.DECISION}
    assert {m.met_late_at for m in missed} == {at(3, 11)}
    assert s.missed(on_time, at(30, 9), RULES) == []


def test_each_missed_time_limit_is_raised_once() -> None:
    state = referral(at(2, 10))
    for missed in s.missed(state, at(3, 10), RULES):
        marked = s.mark_raised(state, missed.kind, missed.deadline)
        assert marked is not None
        state = marked
    assert s.missed(state, at(20, 10), RULES) == []
    assert s.mark_raised(state, TimerKind.DECISION, at(3, 10)) is None


def test_pitstop_is_decided_by_the_panel_within_three_working_days() -> None:
    state = referral(at(2, 10), Destination.PITSTOP)
    assert deadlines(state)[TimerKind.DECISION] == at(5, 10)
    acknowledged = s.acknowledged(state, at(2, 16))
    assert acknowledged is not None
    decided = s.panel_decided(acknowledged, at(4, 14))
    assert decided is not None
    assert s.missed(decided, at(9, 10), RULES) == []
    # Decided without acknowledging first: the decision acknowledges it, a day late.
    late = s.panel_decided(state, at(4, 14))
    assert late is not None
    assert [m.kind for m in s.missed(late, at(9, 10), RULES)] == [TimerKind.ACKNOWLEDGEMENT]


def test_outcomes_go_back_to_the_referrer_once_the_referral_is_known() -> None:
    orphan = s.outcome_recorded(
        s.empty("REF-1"), event_id="o", outcome="ADVICE_GIVEN", at=at(2, 12)
    )
    assert orphan is not None
    assert s.outcomes_to_return(orphan) == []  # who referred is not known yet
    known = s.made(
        orphan,
        event_id="m",
        made_at=at(2, 10),
        referrer_agency_id="urn-123456",
        destination=Destination.EARLY_HELP,
    )
    assert known is not None
    [outcome] = s.outcomes_to_return(known)
    returned = s.outcome_returned(known, outcome.event_id)
    assert returned is not None
    assert s.outcomes_to_return(returned) == []
    assert s.outcome_returned(returned, outcome.event_id) is None


def test_a_second_referral_under_the_same_id_is_refused_and_a_redelivery_ignored() -> None:
    state = referral(at(2, 10))
    again = s.made(state, event_id="e-made", made_at=at(2, 10), referrer_agency_id="x",
                   destination=Destination.PITSTOP)  # fmt: skip
    assert again is None
    with pytest.raises(Rejected):
        s.made(state, event_id="other", made_at=at(2, 10), referrer_agency_id="x",
               destination=Destination.PITSTOP)  # fmt: skip


events = st.lists(
    st.tuples(
        st.sampled_from(["ack", "rate", "outcome"]),
        st.integers(min_value=0, max_value=10 * 24 * 60),
        st.sampled_from(list(Rag)),
    ),
    max_size=6,
)


@given(events=events, order=st.randoms(use_true_random=False))
def test_the_state_is_the_same_whatever_order_events_arrive_in(events: list, order) -> None:  # type: ignore[no-untyped-def,type-arg]
    def apply(sequence: list) -> ReferralState:  # type: ignore[type-arg]
        state = referral(at(2, 10))
        for i, (kind, minutes, rag) in sequence:
            when = at(2, 10) + timedelta(minutes=minutes)
            if kind == "ack":
                nxt = s.acknowledged(state, when)
            elif kind == "rate":
                nxt = s.triaged(state, event_id=f"r{i}", rag=rag, at=when, rationale="why")
            else:
                nxt = s.outcome_recorded(state, event_id=f"o{i}", outcome="ACCEPTED", at=when)
            state = nxt or state
        return state

    indexed = list(enumerate(events))
    shuffled = list(indexed)
    order.shuffle(shuffled)
    first, second = apply(indexed), apply(shuffled)
    assert first == second
    assert ReferralState.from_json(first.to_json()) == first
    now = at(30, 9)
    assert s.missed(first, now, RULES) == s.missed(second, now, RULES)

"""A referral's route is a function of the events, never of the order they arrive in.

The spine interleaves the accepted log's partitions, so a child protection plan started before
a referral can reach the referral stage after it (and one started after it, before it), and a
referral about several children is routed once per child record, each record's routing
arriving at the referral's fold in any order. Before this was fixed, the stage routed with the
open cases it held when the referral arrived (the first order below routed to the allocated
team, the second as named) and the first record's routing to arrive decided the referral's
receiving team.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from streams.referrals import cases
from streams.referrals import state as s
from streams.referrals.cases import CaseChange, RecordCases
from streams.referrals.rules import Destination, ReferralFacts, load_rules, route
from streams.referrals.state import ReferralState

LONDON = ZoneInfo("Europe/London")
RULES = load_rules()
START = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)  # a Monday
FACTS = ReferralFacts(
    referrer_kind="POLICE",
    named_destination=Destination.PITSTOP,
    risk_level="STANDARD",
    category="child concern",
)
Arrival = CaseChange | tuple[str, datetime]  # a change, or a referral (id, made_at)


def arrive(arrivals: Sequence[Arrival]) -> tuple[RecordCases, dict[str, str | None]]:
    """Feed one record's spine events in this order; the team each referral's latest routing
    for the record names (what the referral stage sent last for it)."""
    state, sent = RecordCases(), {}
    for item in arrivals:
        if isinstance(item, CaseChange):
            state, rerouted = cases.case_changed(state, item)
            sent.update({h.referral_id: h.team for h in rerouted})
        else:
            referral_id, made_at = item
            state, held = cases.referral_arrived(
                state, referral_id=referral_id, made_at=made_at, made={}
            )
            sent[referral_id] = held.team
    return state, sent


def decisions(state: RecordCases) -> tuple[object, ...]:
    """What the record holds, less which event last re-routed each referral (a routing that
    arrived later is a re-routing, with an id of its own: the decision is what must agree)."""
    return (state.changes, tuple((h.referral_id, h.made_at, h.team) for h in state.held))


def plan(event_id: str, hours: float, *, opens: bool = True, slot: str = "cp") -> CaseChange:
    return CaseChange(
        event_id=event_id,
        slot=slot,
        opens=opens,
        at=START + timedelta(hours=hours),
        team=f"team-{slot}" if opens else None,
    )


def test_a_plan_started_before_the_referral_but_arriving_after_it_re_routes_it() -> None:
    started, referral = plan("cp-1", 0), ("REF-1", START + timedelta(hours=24))
    in_order = arrive([started, referral])
    reordered = arrive([referral, started])
    assert in_order[1] == reordered[1] == {"REF-1": "team-cp"}
    assert decisions(in_order[0]) == decisions(reordered[0])


def test_a_plan_started_after_the_referral_never_routes_it_whichever_arrives_first() -> None:
    started, referral = plan("cp-1", 48), ("REF-1", START + timedelta(hours=24))
    assert arrive([started, referral])[1] == arrive([referral, started])[1] == {"REF-1": None}


def test_a_plan_ended_before_the_referral_but_arriving_after_it_takes_the_team_back() -> None:
    started, ended = plan("cp-1", 0), plan("cp-end", 10, opens=False)
    referral = ("REF-1", START + timedelta(hours=24))
    assert arrive([started, referral, ended])[1] == {"REF-1": None}
    assert arrive([started, ended, referral])[1] == {"REF-1": None}


def test_a_redelivered_change_derives_its_re_routings_again() -> None:
    started, referral = plan("cp-1", 0), ("REF-1", START + timedelta(hours=24))
    state, _ = arrive([referral, started])
    again, rerouted = cases.case_changed(state, started)
    assert again == state
    assert [(h.referral_id, h.team, h.trigger) for h in rerouted] == [("REF-1", "team-cp", "cp-1")]
    again, held = cases.referral_arrived(
        state, referral_id="REF-1", made_at=START + timedelta(hours=24), made={}
    )
    assert again == state
    assert (held.team, held.trigger) == ("team-cp", "cp-1")


changes = st.lists(
    st.tuples(
        st.sampled_from(cases.SLOTS),
        st.booleans(),
        st.integers(min_value=0, max_value=20),  # hours after START
        st.sampled_from(["a", "b"]),
    ),
    max_size=7,
)


@given(
    changes=changes, made=st.lists(st.integers(0, 20), min_size=1, max_size=3), seed=st.integers()
)
def test_every_arrival_order_routes_each_referral_as_of_when_it_was_made(
    changes: list[tuple[str, bool, int, str]], made: list[int], seed: int
) -> None:
    found = [
        CaseChange(
            event_id=f"c{i}",
            slot=slot,
            opens=opens,
            at=START + timedelta(hours=hours),
            team=f"{team}-{slot}" if opens else None,
        )
        for i, (slot, opens, hours, team) in enumerate(changes)
    ]
    referrals = [(f"REF-{i}", START + timedelta(hours=h, minutes=30)) for i, h in enumerate(made)]
    arrivals: list[Arrival] = [*found, *referrals]
    shuffled = list(arrivals)
    random.Random(seed).shuffle(shuffled)
    first, second = arrive(arrivals), arrive(shuffled)
    assert first[1] == second[1]
    assert decisions(first[0]) == decisions(second[0])
    assert first[1] == {r: cases.team_at(found, at) for r, at in referrals}
    assert RecordCases.from_json(first[0].to_json()) == first[0]


def test_the_older_stored_form_reads_as_cases_open_all_along() -> None:
    legacy = RecordCases.from_json('{"cp": "stockton-cin-2"}')
    assert cases.team_at(legacy.changes, START) == "stockton-cin-2"
    assert RecordCases.from_json(None) == RecordCases()


# --- the referral's route from its records' routings -----------------------------------------


def made_state() -> ReferralState:
    made = s.made(
        s.empty("REF-1"),
        event_id="e-made",
        made_at=START,
        referrer_agency_id="cleveland-police",
        destination=Destination.PITSTOP,
    )
    assert made is not None
    return made


def fold_routings(routings: Sequence[tuple[str, str | None]]) -> ReferralState:
    state = made_state()
    for i, (record_id, team) in enumerate(routings):
        decided = route(FACTS, RULES, allocated_team_id=team)
        state = s.routed(state, decided, record_id=record_id, event_id=f"r{i}") or state
    return state


def test_a_child_open_to_social_care_decides_the_team_whichever_child_arrives_first() -> None:
    as_named, told = ("record-a", None), ("record-b", "stockton-cin-2")
    first, second = fold_routings([as_named, told]), fold_routings([told, as_named])
    assert first.receiving_agency_id == second.receiving_agency_id == "stockton-cin-2"
    assert first.destination == second.destination == Destination.PITSTOP
    assert s.timers(first, RULES) == s.timers(second, RULES)


def test_a_record_re_routed_as_named_hands_the_referral_back() -> None:
    state = fold_routings([("record-a", None), ("record-b", "stockton-cin-2"), ("record-b", None)])
    assert state.receiving_agency_id == "cleveland-police-pitstop"
    assert s.routed(state, route(FACTS, RULES), record_id="record-b", event_id="again") is None


@given(
    routings=st.lists(
        st.tuples(st.sampled_from(["r1", "r2", "r3"]), st.sampled_from([None, "t1", "t2"])),
        max_size=8,
    ),
    seed=st.integers(),
)
def test_the_referral_route_is_the_same_for_every_interleaving_of_its_records(
    routings: list[tuple[str, str | None]], seed: int
) -> None:
    # Each record's routings arrive in the order that record's spine sent them; records
    # interleave in any order.
    queues = {r: [x for x in routings if x[0] == r] for r in {x[0] for x in routings}}
    rng = random.Random(seed)
    interleaved = []
    while any(queues.values()):
        record = rng.choice(sorted(r for r, q in queues.items() if q))
        interleaved.append(queues[record].pop(0))
    first, second = fold_routings(routings), fold_routings(interleaved)
    assert (first.destination, first.receiving_agency_id) == (
        second.destination,
        second.receiving_agency_id,
    )
    assert ReferralState.from_json(first.to_json()) == first

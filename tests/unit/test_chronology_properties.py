"""Properties: arrival order never matters, and each event reaches each linked child once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.chronology import (
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    SignificantEventRecorded,
    Source,
    add,
    build,
    build_all,
)

CHILD = "child-a"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WHO = Source(agency_id="a1", agency_kind="health", practitioner_role="health_visitor")
RECORDS = ("r0", "r1", "r2", "r3", "r4")

# Few distinct times, so ties on occurred_at and recorded_at are common.
hours = st.integers(min_value=0, max_value=3).map(lambda h: T0 + timedelta(hours=h))


@st.composite
def significant(draw: st.DrawFn, event_id: str) -> SignificantEventRecorded:
    return SignificantEventRecorded(
        event_id=event_id,
        record_ids=draw(st.frozensets(st.sampled_from(RECORDS), min_size=1, max_size=3)),
        occurred_at=draw(hours),
        recorded_at=draw(hours),
        source=WHO,
        category=draw(st.sampled_from(["visit", "concern"])),
        summary=draw(st.sampled_from(["s1", "s2"])),
        impact_on_child="i",
        action_taken="a",
        lawful_basis="uk_gdpr_6_1_e",
        police_reference=draw(st.sampled_from([None, None, "CLE-1", "CLE-2"])),
    )


@st.composite
def amendment(draw: st.DrawFn, event_id: str, targets: list[str]) -> ChronologyEvent:
    target = draw(st.sampled_from(targets))
    at = draw(hours)
    records = frozenset({CHILD})
    kind = draw(st.sampled_from(["correct", "retract", "curate"]))
    if kind == "correct":
        return EntryCorrected(
            event_id=event_id,
            record_ids=records,
            entry_id=target,
            recorded_at=at,
            corrected_by=WHO,
            reason="r",
            summary=draw(st.none() | st.sampled_from(["c1", "c2"])),
            occurred_at=draw(st.none() | hours),
        )
    if kind == "retract":
        return EntryRetracted(
            event_id=event_id,
            record_ids=records,
            entry_id=target,
            recorded_at=at,
            retracted_by=WHO,
            reason="r",
        )
    return EntryCurated(
        event_id=event_id,
        record_ids=records,
        entry_id=target,
        include=draw(st.booleans()),
        recorded_at=at,
        curated_by=WHO,
    )


@st.composite
def histories(draw: st.DrawFn) -> list[ChronologyEvent]:
    n_base = draw(st.integers(min_value=1, max_value=6))
    n_amend = draw(st.integers(min_value=0, max_value=6))
    # Amendments may name any event, themselves, a later amendment, or something never seen.
    targets = [f"e{i}" for i in range(n_base)] + [f"a{j}" for j in range(n_amend)] + ["gone"]
    events: list[ChronologyEvent] = [draw(significant(f"e{i}")) for i in range(n_base)]
    events += [draw(amendment(f"a{j}", targets)) for j in range(n_amend)]
    return events


@settings(max_examples=300)
@given(st.data())
def test_any_arrival_order_gives_the_same_chronology(data: st.DataObject) -> None:
    events = data.draw(histories())
    arrival = data.draw(st.permutations(events))
    expected = build(CHILD, events)
    folded = build(CHILD, ())
    for event in arrival:
        folded = add(folded, event)
    assert folded == expected
    assert build(CHILD, arrival) == expected
    # Redelivery (at-least-once) changes nothing either.
    assert build(CHILD, [*arrival, *arrival[: len(arrival) // 2]]) == expected


@given(
    st.data(),
    st.lists(st.sampled_from(RECORDS), min_size=len(RECORDS), max_size=len(RECORDS)),
)
def test_every_event_lands_once_in_each_linked_childs_chronology(
    data: st.DataObject, group_of: list[str]
) -> None:
    # Records sharing a group label are one child; its id is its lowest record id, as in the index.
    groups = dict(zip(RECORDS, group_of, strict=True))

    def child_of(record: str) -> str:
        return min(r for r in RECORDS if groups[r] == groups[record])

    n = data.draw(st.integers(min_value=1, max_value=8))
    events = [replace(data.draw(significant(f"e{i}")), police_reference=None) for i in range(n)]
    chronologies = build_all(events, child_of)
    for event in events:
        linked = {child_of(r) for r in event.record_ids}
        for child, chronology in chronologies.items():
            firsts = [e for e in chronology.entries if e.entry_id == event.event_id]
            assert len(firsts) == (1 if child in linked else 0)
    assert set(chronologies) == {child_of(r) for e in events for r in e.record_ids}

"""Placing events one by one, as the agent does, converges to the chronology `build` gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.chronology import (
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    SignificantEventRecorded,
    Source,
)
from streams.chronology.placement import Skeleton, VersionIds, final_structure, place

RECORD = "r1"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WHO = Source(agency_id="a1", agency_kind="HEALTH", practitioner_role="health visitor")
hours = st.integers(min_value=0, max_value=3).map(lambda h: T0 + timedelta(hours=h))


def _entry(event_id: str, at: datetime, ref: str | None = None) -> SignificantEventRecorded:
    return SignificantEventRecorded(
        event_id=event_id,
        record_ids=frozenset({RECORD}),
        occurred_at=at,
        recorded_at=at,
        source=WHO,
        category="concern",
        summary="s",
        impact_on_child="",
        action_taken="",
        lawful_basis="UK_GDPR_PUBLIC_TASK",
        police_reference=ref,
    )


@st.composite
def histories(draw: st.DrawFn) -> list[ChronologyEvent]:
    n_base = draw(st.integers(min_value=1, max_value=5))
    n_amend = draw(st.integers(min_value=0, max_value=5))
    targets = [f"e{i}" for i in range(n_base)] + [f"a{j}" for j in range(n_amend)] + ["gone"]
    events: list[ChronologyEvent] = []
    for i in range(n_base):
        entry = _entry(f"e{i}", draw(hours), draw(st.sampled_from([None, None, "CLE-1", "CLE-2"])))
        events.append(entry)
    for j in range(n_amend):
        target, at = draw(st.sampled_from(targets)), draw(hours)
        kind = draw(st.sampled_from(["correction", "retraction", "curation"]))
        if kind == "curation":
            events.append(
                EntryCurated(
                    event_id=f"a{j}",
                    record_ids=frozenset({RECORD}),
                    entry_id=target,
                    include=draw(st.booleans()),
                    recorded_at=at,
                    curated_by=WHO,
                )
            )
        elif kind == "correction":
            events.append(
                EntryCorrected(
                    event_id=f"a{j}",
                    record_ids=frozenset({RECORD}),
                    entry_id=target,
                    recorded_at=at,
                    corrected_by=WHO,
                    reason="r",
                    summary="c",
                )
            )
        else:
            events.append(
                EntryRetracted(
                    event_id=f"a{j}",
                    record_ids=frozenset({RECORD}),
                    entry_id=target,
                    recorded_at=at,
                    retracted_by=WHO,
                    reason="r",
                )
            )
    return events


def _apply(arrival: list[ChronologyEvent]) -> dict[str, tuple[str, VersionIds]]:
    """Fold with `place` and keep the last structure per source event, as the projection does."""
    state: list[list[Any]] = []
    rows: dict[str, tuple[str, VersionIds]] = {}
    for event in arrival:
        state, placement = place(RECORD, state, event)
        for version in placement.versions:
            assert placement.entry_id is not None
            rows[version.source_event_id] = (placement.entry_id, version)
    return rows


@settings(max_examples=300)
@given(st.data())
def test_any_arrival_order_with_redeliveries_converges_to_the_built_structure(
    data: st.DataObject,
) -> None:
    events = data.draw(histories())
    arrival = data.draw(st.permutations(events))
    redelivered = data.draw(st.lists(st.sampled_from(arrival), max_size=3))
    assert _apply([*arrival, *redelivered]) == dict(final_structure(RECORD, events))


def test_a_re_notification_is_a_second_version_of_the_same_entry() -> None:
    first, again = _entry("e1", T0, "CLE-9"), _entry("e2", T0 + timedelta(hours=2), "CLE-9")
    state, placed = place(RECORD, [], first)
    assert (placed.change, placed.entry_id, placed.new) == ("ENTRY_RECORDED", "e1", True)
    state, placed = place(RECORD, state, again)
    assert (placed.change, placed.entry_id) == ("ENTRY_RENOTIFIED", "e1")
    assert placed.versions == (
        VersionIds(source_event_id="e1", version=1, superseded_by="e2", retracted_by=None),
        VersionIds(source_event_id="e2", version=2, superseded_by=None, retracted_by=None),
    )
    # A redelivery: the same answer, and the state is not extended.
    again_state, replayed = place(RECORD, state, again)
    assert again_state == state
    assert not replayed.new
    assert replayed.versions == placed.versions


def test_an_amendment_before_its_entry_waits_and_is_placed_when_the_entry_comes() -> None:
    retraction = EntryRetracted(
        event_id="x1",
        record_ids=frozenset({RECORD}),
        entry_id="e1",
        recorded_at=T0 + timedelta(hours=1),
        retracted_by=WHO,
        reason="entered in error",
    )
    state, placed = place(RECORD, [], retraction)
    assert (placed.change, placed.entry_id, placed.versions) == ("AMENDMENT_PENDING", None, ())
    state, placed = place(RECORD, state, _entry("e1", T0))
    assert placed.versions == (
        VersionIds(source_event_id="e1", version=1, superseded_by=None, retracted_by="x1"),
    )


def test_the_table_keeps_ids_and_order_keys_only() -> None:
    state, _ = place(RECORD, [], _entry("e1", T0, "CLE-1"))
    assert state == [["e1", "entry", T0.isoformat(), T0.isoformat(), "CLE-1", None]]
    assert Skeleton.from_json(state[0]).to_json() == state[0]

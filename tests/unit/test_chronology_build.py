"""The chronology, read as the practice rules it implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from streams.chronology import (
    Chronology,
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    SignificantEventRecorded,
    Source,
    add,
    build,
    build_all,
    visible_entries,
)

CHILD = "child-a"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICE = Source(
    agency_id="cleveland-police", agency_kind="police", practitioner_role="mash_officer"
)
SCHOOL = Source(agency_id="urn-111111", agency_kind="school", practitioner_role="dsl")
LEAD = Source(
    agency_id="stockton-eh",
    agency_kind="early_help",
    practitioner_role="lead",
    practitioner_id="p1",
)


def happened(
    event_id: str,
    hours: float,
    recorded_hours: float | None = None,
    *,
    records: frozenset[str] = frozenset({CHILD}),
    police_reference: str | None = None,
    summary: str = "something happened",
    source: Source = SCHOOL,
) -> SignificantEventRecorded:
    return SignificantEventRecorded(
        event_id=event_id,
        record_ids=records,
        occurred_at=T0 + timedelta(hours=hours),
        recorded_at=T0 + timedelta(hours=hours if recorded_hours is None else recorded_hours),
        source=source,
        category="concern",
        summary=summary,
        impact_on_child="withdrawn in class",
        action_taken="spoke to the child",
        lawful_basis="uk_gdpr_6_1_e+dpa_sch1_para18",
        police_reference=police_reference,
    )


def corrected(event_id: str, target: str, hours: float, **fields: object) -> EntryCorrected:
    return EntryCorrected(
        event_id=event_id,
        record_ids=frozenset({CHILD}),
        entry_id=target,
        recorded_at=T0 + timedelta(hours=hours),
        corrected_by=SCHOOL,
        reason="typo",
        **fields,  # type: ignore[arg-type]  # the tests pass only EntryCorrected's optional fields
    )


def retracted(event_id: str, target: str, hours: float) -> EntryRetracted:
    return EntryRetracted(
        event_id=event_id,
        record_ids=frozenset({CHILD}),
        entry_id=target,
        recorded_at=T0 + timedelta(hours=hours),
        retracted_by=SCHOOL,
        reason="wrong child",
    )


def curated(event_id: str, target: str, include: bool, hours: float) -> EntryCurated:
    return EntryCurated(
        event_id=event_id,
        record_ids=frozenset({CHILD}),
        entry_id=target,
        include=include,
        recorded_at=T0 + timedelta(hours=hours),
        curated_by=LEAD,
    )


def ids(chronology: Chronology, *, auditor: bool = False, printed: bool = False) -> list[str]:
    rows = visible_entries(chronology, include_retracted=auditor, printed=printed)
    return [f"{r.entry_id}@{r.version}" for r in rows]


def fold(events: Sequence[ChronologyEvent]) -> Chronology:
    chronology = build(CHILD, ())
    for event in events:
        chronology = add(chronology, event)
    return chronology


def test_entries_are_ordered_by_when_it_happened_whatever_the_arrival_order() -> None:
    backdated = happened("e-backdated", 1, recorded_hours=50)
    arrivals = [happened("e3", 30), happened("e2", 20), backdated, happened("e1", 10)]
    chronology = fold(arrivals)
    assert ids(chronology) == ["e-backdated@1", "e1@1", "e2@1", "e3@1"]
    assert chronology == build(CHILD, reversed(arrivals))


def test_ties_break_on_recorded_time_then_event_id() -> None:
    chronology = build(CHILD, [happened("b", 5, 7), happened("z", 5, 6), happened("a", 5, 7)])
    assert ids(chronology) == ["z@1", "a@1", "b@1"]


def test_an_entry_carries_its_source_basis_and_reference() -> None:
    (entry,) = build(CHILD, [happened("e1", 1, 2, police_reference="CLE-1", source=POLICE)]).entries
    assert entry.child_id == CHILD
    assert entry.source_event_id == entry.entry_id == "e1"
    assert entry.source == POLICE
    assert entry.occurred_at == T0 + timedelta(hours=1)
    assert entry.recorded_at == T0 + timedelta(hours=2)
    assert entry.lawful_basis == "uk_gdpr_6_1_e+dpa_sch1_para18"
    assert entry.police_reference == "CLE-1"
    assert entry.is_current


def test_a_correction_supersedes_and_both_versions_stay_for_auditors() -> None:
    chronology = build(CHILD, [happened("e1", 1), corrected("c1", "e1", 3, summary="fixed")])
    old, new = chronology.entries
    assert (old.summary, new.summary) == ("something happened", "fixed")
    assert old.superseded is not None
    assert (old.superseded.event_id, old.superseded.by, old.superseded.at) == (
        "c1",
        SCHOOL,
        T0 + timedelta(hours=3),
    )
    assert new.amendment == old.superseded
    assert new.impact_on_child == old.impact_on_child
    assert new.source_event_id == "c1"
    assert ids(chronology) == ["e1@2"]
    assert ids(chronology, auditor=True) == ["e1@1", "e1@2"]


def test_a_correction_of_the_date_moves_the_entry() -> None:
    chronology = build(
        CHILD,
        [
            happened("e1", 1),
            happened("e2", 5),
            corrected("c1", "e1", 6, occurred_at=T0 + timedelta(9)),
        ],
    )
    assert ids(chronology) == ["e2@1", "e1@2"]


def test_a_correction_of_a_correction_builds_on_it() -> None:
    chronology = build(
        CHILD,
        [
            corrected("c2", "c1", 4, action_taken="referred to front door"),
            corrected("c1", "e1", 3, summary="fixed"),
            happened("e1", 1),
        ],
    )
    current = visible_entries(chronology, include_retracted=False, printed=False)
    assert [(r.version, r.summary, r.action_taken) for r in current] == [
        (3, "fixed", "referred to front door")
    ]


def test_a_retraction_strikes_the_entry_but_keeps_it_for_auditors() -> None:
    chronology = build(CHILD, [happened("e1", 1), happened("e2", 2), retracted("r1", "e1", 3)])
    assert ids(chronology) == ["e2@1"]
    assert ids(chronology, auditor=True) == ["e1@1", "e2@1"]
    struck = chronology.entries[0]
    assert struck.retracted is not None
    assert (struck.retracted.by, struck.retracted.reason) == (SCHOOL, "wrong child")
    assert ids(chronology, printed=True) == ["e2@1"]


def test_a_retraction_arriving_before_its_entry_waits_for_it() -> None:
    early = fold([retracted("r1", "e1", 3)])
    assert early.entries == ()
    assert early.pending == ("r1",)
    late = add(early, happened("e1", 1))
    assert late.pending == ()
    assert ids(late) == []
    assert ids(late, auditor=True) == ["e1@1"]


def test_a_correction_of_a_retracted_entry_does_not_revive_it() -> None:
    events: list[ChronologyEvent] = [
        happened("e1", 1),
        retracted("r1", "e1", 2),
        corrected("c1", "e1", 3, summary="now correct"),
    ]
    chronology = build(CHILD, events)
    assert ids(chronology) == []
    assert ids(chronology, auditor=True) == ["e1@1", "e1@2"]
    assert all(r.retracted is not None for r in chronology.entries)
    assert fold(events[::-1]) == chronology


def test_retracting_a_correction_restores_the_version_before_it() -> None:
    chronology = build(
        CHILD,
        [
            happened("e1", 1),
            corrected("c1", "e1", 2, summary="wrong fix"),
            retracted("r1", "c1", 3),
            corrected("c2", "e1", 4, impact_on_child="anxious"),
        ],
    )
    rows = {r.version: r for r in chronology.entries}
    assert rows[2].retracted is not None
    assert rows[2].superseded is None
    assert (rows[3].summary, rows[3].impact_on_child) == ("something happened", "anxious")
    assert ids(chronology) == ["e1@3"]


def test_a_renotification_with_the_same_police_reference_updates_the_entry() -> None:
    first = happened("n1", 1, 2, police_reference="CLE-9", summary="first", source=POLICE)
    again = happened("n2", 1, 5, police_reference="CLE-9", summary="updated", source=POLICE)
    other = happened("n3", 1, 6, police_reference="CLE-10", source=POLICE)
    chronology = fold([other, again, first])
    assert ids(chronology) == ["n1@2", "n3@1"]
    assert ids(chronology, auditor=True) == ["n1@1", "n1@2", "n3@1"]
    revision = chronology.entries[1]
    assert (revision.summary, revision.source_event_id) == ("updated", "n2")
    assert chronology.entries[0].superseded is not None
    assert chronology.entries[0].superseded.event_id == "n2"


def test_curation_changes_the_printed_chronology_only() -> None:
    events: list[ChronologyEvent] = [
        happened("e1", 1),
        happened("e2", 2),
        curated("k1", "e1", False, 3),
        curated("k2", "e2", False, 3),
        curated("k3", "e2", True, 4),
    ]
    chronology = build(CHILD, events)
    assert ids(chronology, printed=True) == ["e2@1"]
    assert ids(chronology) == ["e1@1", "e2@1"]
    uncurated = build(CHILD, events[:2])
    assert [replace(r, included=True, curated=None) for r in chronology.entries] == list(
        uncurated.entries
    )
    assert chronology.entries[0].curated is not None
    assert chronology.entries[0].curated.by == LEAD


def test_curation_follows_the_entry_through_corrections() -> None:
    chronology = build(
        CHILD,
        [happened("e1", 1), corrected("c1", "e1", 2, summary="x"), curated("k", "c1", False, 3)],
    )
    assert ids(chronology, printed=True) == []
    assert ids(chronology) == ["e1@2"]


def test_merge_and_unmerge_of_two_identities() -> None:
    a_only = happened("a1", 1, records=frozenset({"rec-a"}))
    b_only = happened("b1", 2, records=frozenset({"rec-b"}))
    both = happened("ab", 3, records=frozenset({"rec-a", "rec-b"}))
    # Each record heard of the same incident separately: one entry once they are one child.
    police_a = happened("pa", 4, 4, records=frozenset({"rec-a"}), police_reference="CLE-5")
    police_b = happened("pb", 4, 6, records=frozenset({"rec-b"}), police_reference="CLE-5")
    fix = replace(corrected("fix", "b1", 7, summary="fixed"), record_ids=frozenset({"rec-b"}))
    events: list[ChronologyEvent] = [a_only, b_only, both, police_a, police_b, fix]

    apart = build_all(events, lambda r: r)
    assert ids(apart["rec-a"]) == ["a1@1", "ab@1", "pa@1"]
    assert ids(apart["rec-b"]) == ["b1@2", "ab@1", "pb@1"]

    merged = build_all(events, lambda r: "rec-a")
    assert list(merged) == ["rec-a"]
    assert ids(merged["rec-a"]) == ["a1@1", "b1@2", "ab@1", "pa@2"]
    assert {r.child_id for r in merged["rec-a"].entries} == {"rec-a"}

    assert build_all(events, lambda r: r) == apart

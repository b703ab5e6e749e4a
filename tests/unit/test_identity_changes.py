"""Change sets: the pure fold and the table writer agree, event by event, and reads stay local."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.identity import (
    Demographics,
    Identifiers,
    IdentityDecisionRejected,
    IndexChanges,
    PersonIndex,
    PersonSighted,
    PersonsLinked,
    PersonsUnlinked,
    apply_changes,
    child_id_of,
    children,
    decide_changes,
    is_verified,
    match_rate,
    overlay,
    resolve_changes,
)
from streams.identity.identifiers import nhs_check_digit
from streams.identity.state import IndexView
from streams.identity.tables import TABLE_NAMES, IndexTables, key_pair, pair_key, write_changes

KEY = b"changes test key"
AT = datetime(2026, 1, 12, tzinfo=UTC)
VALID_NHS = [f"99900000{i}{nhs_check_digit(f'99900000{i}')}" for i in (1, 2, 3)]
PEOPLE = [
    Demographics(given_name=g, family_name="Ng", date_of_birth=date(2018, 5, 1), postcode="TS1 1AA")
    for g in ("Ada", "ada", "Bo")
]


@dataclass(frozen=True)
class Link:
    """Link (or unlink) the records resolved by the a-th and b-th sightings so far."""

    a: int
    b: int
    unlink: bool
    use_review: bool


sightings = st.builds(
    lambda nhs, police, upn_free, demo: PersonSighted(
        event_id="",  # numbered when the stream is built
        recorded_at=AT,
        identifiers=Identifiers(nhs_number=nhs, police_person_ref=police, la_child_id=upn_free),
        demographics=demo,
    ),
    st.none() | st.sampled_from([*VALID_NHS, "9990000010"]),
    st.none() | st.sampled_from(["P1", "P2"]),
    st.none() | st.sampled_from(["LA-1", "LA-2"]),
    st.none() | st.sampled_from(PEOPLE),
)
steps = st.lists(
    sightings | st.builds(Link, st.integers(0, 4), st.integers(0, 4), st.booleans(), st.booleans()),
    max_size=20,
)


def _snapshot(view: IndexView, keys: Mapping[str, set[Any]]) -> dict[str, Any]:
    """Everything readable through the view for the keys the run touched."""
    return {
        name: {k: getattr(view, name)[k] for k in sorted(ks) if k in getattr(view, name)}
        for name, ks in keys.items()
    }


def _table_keys(tables: IndexTables) -> dict[str, set[Any]]:
    return {
        "records": set(tables.records_table),
        "owners": set(tables.owners_table),
        "blocks": set(tables.blocks_table),
        "edges": set(tables.edges_table),
        "pending": {key_pair(k) for k in tables.pending_table},
        "reviews": set(tables.reviews_table),
        "tallies": set(tables.tallies_table),
    }


def _run(stream: list[PersonSighted | Link]) -> tuple[PersonIndex, IndexTables, list[Any]]:
    """Fold the stream both ways, checking after each step that the two agree."""
    index = PersonIndex()
    tables = IndexTables.in_memory()
    outcomes: list[Any] = []
    records: list[str] = []
    for n, step in enumerate(stream):
        changes: IndexChanges
        if isinstance(step, PersonSighted):
            sighting = PersonSighted(
                event_id=f"e{n}",
                recorded_at=step.recorded_at,
                identifiers=step.identifiers,
                demographics=step.demographics,
            )
            changes, resolution = resolve_changes(index, sighting, key=KEY)
            from_tables = resolve_changes(tables, sighting, key=KEY)
            assert from_tables == (changes, resolution)
            records.append(resolution.record_id)
            outcomes.append(resolution)
        else:
            if len(records) <= max(step.a, step.b):
                continue
            a, b = records[step.a], records[step.b]
            review = index.pending.get((min(a, b), max(a, b))) if step.use_review else None
            decision: PersonsLinked | PersonsUnlinked
            if step.unlink:
                decision = PersonsUnlinked(
                    event_id=f"d{n}",
                    child_ids=(a, b),
                    unlinked_by="sw",
                    reason="r",
                    unlinked_at=AT,
                    review_id=review,
                )
            else:
                decision = PersonsLinked(
                    event_id=f"d{n}",
                    child_ids=(a, b),
                    linked_by="sw",
                    reason="r",
                    linked_at=AT,
                    review_id=review,
                )
            try:
                changes, rekeyed = decide_changes(index, decision)
            except IdentityDecisionRejected as exc:
                with pytest.raises(IdentityDecisionRejected, match=str(exc)):
                    decide_changes(tables, decision)
                continue
            assert decide_changes(tables, decision) == (changes, rekeyed)
            outcomes.append(rekeyed)
        # What the change set says the index will read like, before anything is written.
        preview = overlay(index, changes)
        index = apply_changes(index, changes)
        write_changes(tables, changes)
        keys = _table_keys(tables)
        assert _snapshot(tables, keys) == _snapshot(index, keys) == _snapshot(preview, keys)
        assert set(index.records) == set(tables.records_table)
        assert set(index.owners) == set(tables.owners_table)
        assert set(index.edges) == set(tables.edges_table)
        assert set(index.pending) == {key_pair(k) for k in tables.pending_table}
        assert index.distinct == {key_pair(k) for k in tables.distinct_table}
    return index, tables, outcomes


@given(steps)
def test_the_fold_and_the_table_writer_agree_at_every_step(stream: list[Any]) -> None:
    _run(stream)


@given(steps)
def test_the_tallied_match_rate_equals_counting_every_child(stream: list[Any]) -> None:
    index, tables, _ = _run(stream)
    known = children(index)
    verified = sum(1 for c in known if is_verified(index, c))
    assert index.tallies.get("children", 0) == len(known)
    assert index.tallies.get("verified", 0) == verified
    assert match_rate(index) == match_rate(tables) == (verified / len(known) if known else 0.0)


@given(steps)
def test_open_reviews_and_their_pairs_stay_two_views_of_one_queue(stream: list[Any]) -> None:
    index, _, _ = _run(stream)
    assert {review: pair for pair, review in index.pending.items()} == dict(index.reviews)


def test_tables_hold_json_with_string_keys_and_nothing_in_clear() -> None:
    tables = IndexTables.in_memory()
    for n, nhs in enumerate([VALID_NHS[0], None]):
        sighting = PersonSighted(
            event_id=f"e{n}",
            recorded_at=AT,
            identifiers=Identifiers(nhs_number=nhs, police_person_ref="CLE/9"),
            demographics=PEOPLE[0],
        )
        changes, _ = resolve_changes(tables, sighting, key=KEY)
        write_changes(tables, changes)
    for name in TABLE_NAMES:
        table = getattr(tables, f"{name}_table")
        assert all(isinstance(k, str) for k in table), name
        text = json.dumps(table)  # every value is plain JSON
        for secret in ["Ada", "Ng", "2018-05-01", "TS1", "CLE/9", VALID_NHS[0]]:
            assert secret.casefold() not in text.casefold(), (name, secret)
    assert pair_key(("a", "b")) == "a|b"
    assert key_pair("a|b") == ("a", "b")


def test_a_change_set_writes_only_the_keys_it_touches() -> None:
    tables = IndexTables.in_memory()
    for n in range(50):
        sighting = PersonSighted(
            event_id=f"e{n}", recorded_at=AT, identifiers=Identifiers(la_child_id=f"LA-{n}")
        )
        changes, _ = resolve_changes(tables, sighting, key=KEY)
        write_changes(tables, changes)
    changes, resolution = resolve_changes(
        tables,
        PersonSighted(event_id="new", recorded_at=AT, identifiers=Identifiers(upn=None)),
        key=KEY,
    )
    assert resolution.minted
    assert list(changes.records) == [resolution.record_id]
    assert changes.owners == {}
    assert dict(changes.tallies) == {"children": 51}


def test_an_unlink_of_the_last_link_removes_the_edge_keys() -> None:
    tables = IndexTables.in_memory()
    made = []
    for n in range(2):
        sighting = PersonSighted(
            event_id=f"e{n}", recorded_at=AT, identifiers=Identifiers(la_child_id=f"LA-{n}")
        )
        changes, resolution = resolve_changes(tables, sighting, key=KEY)
        write_changes(tables, changes)
        made.append(resolution.record_id)
    link = PersonsLinked(
        event_id="l", child_ids=(made[0], made[1]), linked_by="sw", reason="r", linked_at=AT
    )
    changes, _ = decide_changes(tables, link)
    write_changes(tables, changes)
    assert child_id_of(tables, made[1]) == min(made)
    unlink = PersonsUnlinked(
        event_id="u", child_ids=(made[0], made[1]), unlinked_by="sw", reason="r", unlinked_at=AT
    )
    changes, rekeyed = decide_changes(tables, unlink)
    write_changes(tables, changes)
    assert tables.edges_table == {}
    assert list(tables.distinct_table) == [pair_key((min(made), max(made)))]
    assert [r.to_child_id for r in rekeyed] == [max(made)]

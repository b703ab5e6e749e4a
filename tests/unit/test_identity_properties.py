"""Properties of the person index over arbitrary streams of sightings."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from streams.identity import (
    Demographics,
    Identifiers,
    PersonIndex,
    PersonSighted,
    Resolution,
    children,
    resolve,
)
from streams.identity.identifiers import is_valid_nhs_number, nhs_check_digit

KEY = b"property key"
AT = datetime(2026, 1, 12, tzinfo=UTC)
VALID_NHS = [f"99900000{i}{nhs_check_digit(f'99900000{i}')}" for i in (1, 2, 3)]
NHS_POOL = [*VALID_NHS, "9990000010", "123"]  # the last two fail the check
PEOPLE = [
    Demographics(given_name=g, family_name="Ng", date_of_birth=date(2018, 5, 1), postcode="TS1 1AA")
    for g in ("Ada", "ada", "Bo")
]

sightings = st.lists(
    st.builds(
        lambda i, nhs, police, demo: PersonSighted(
            event_id=f"e{i}",
            recorded_at=AT,
            identifiers=Identifiers(nhs_number=nhs, police_person_ref=police),
            demographics=demo,
        ),
        st.integers(min_value=0, max_value=10**6),
        st.none() | st.sampled_from(NHS_POOL),
        st.none() | st.sampled_from(["P1", "P2"]),
        st.none() | st.sampled_from(PEOPLE),
    ),
    max_size=12,
    unique_by=lambda s: s.event_id,
)


def fold(stream: list[PersonSighted]) -> tuple[PersonIndex, list[Resolution]]:
    index = PersonIndex()
    out = []
    for s in stream:
        index, r = resolve(index, s, key=KEY)
        out.append(r)
    return index, out


@given(sightings)
def test_the_same_valid_nhs_number_is_always_the_same_child(stream: list[PersonSighted]) -> None:
    _, resolutions = fold(stream)
    child_by_nhs: dict[str, str] = {}
    for s, r in zip(stream, resolutions, strict=True):
        nhs = s.identifiers.nhs_number
        if nhs is not None and is_valid_nhs_number(nhs):
            assert child_by_nhs.setdefault(nhs, r.child_id) == r.child_id


@given(sightings)
def test_nothing_links_without_a_practitioner_and_replay_is_identical(
    stream: list[PersonSighted],
) -> None:
    index, resolutions = fold(stream)
    assert index.edges == {}
    assert len(children(index)) == len(index.records)
    assert fold(stream) == (index, resolutions)
    for r in resolutions:
        for review in r.reviews:
            assert r.child_id in review.child_ids
            assert review.child_ids[0] < review.child_ids[1]


@given(sightings)
def test_a_redelivered_sighting_changes_nothing(stream: list[PersonSighted]) -> None:
    index, first = fold(stream)
    for s, before in zip(stream, first, strict=True):
        again_index, again = resolve(index, s, key=KEY)
        assert again_index == index
        assert again.child_id == before.child_id
        assert again.reviews == ()

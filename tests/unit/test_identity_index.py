"""The person index, read as its resolution rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import pytest

from streams.identity import (
    Demographics,
    Identifiers,
    IdentityDecisionRejected,
    PersonIndex,
    PersonSighted,
    PersonsLinked,
    PersonsUnlinked,
    Resolution,
    child_id_of,
    children,
    decide,
    is_verified,
    links,
    match_rate,
    resolve,
)
from streams.identity.identifiers import nhs_check_digit, upn_check_letter

KEY = b"test-only identity key"
AT = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def nhs(first_nine: str) -> str:
    check = nhs_check_digit(first_nine)
    assert check is not None
    return f"{first_nine}{check}"


def upn(last_twelve: str) -> str:
    return upn_check_letter(last_twelve) + last_twelve


NHS_A = nhs("999000001")
NHS_B = nhs("999000002")
UPN_A = upn("823456789012")
UPN_B = upn("823456789013")

AMY = Demographics(
    given_name="Zoë",
    family_name="O'Brien-Smith",
    date_of_birth=date(2016, 3, 4),
    postcode="ts18 1aa",
)
AMY_AS_TYPED_BY_SCHOOL = Demographics(
    given_name="ZOE ",
    family_name="obrien smith",
    date_of_birth=date(2016, 3, 4),
    postcode="TS181AA",
)


def sighting(
    event_id: str, demographics: Demographics | None = None, subject_index: int = 0, **ids: str
) -> PersonSighted:
    return PersonSighted(
        event_id=event_id,
        subject_index=subject_index,
        recorded_at=AT,
        identifiers=Identifiers(**ids),
        demographics=demographics,
    )


def fold(sightings: Iterable[PersonSighted]) -> tuple[PersonIndex, list[Resolution]]:
    index = PersonIndex()
    resolutions = []
    for s in sightings:
        index, resolution = resolve(index, s, key=KEY)
        resolutions.append(resolution)
    return index, resolutions


def link(a: str, b: str, event_id: str = "link-1", review_id: str | None = None) -> PersonsLinked:
    return PersonsLinked(
        event_id=event_id,
        child_ids=(a, b),
        linked_by="front-door-sw-7",
        reason="same child: checked with the school",
        linked_at=AT,
        review_id=review_id,
    )


def unlink(a: str, b: str, event_id: str = "unlink-1") -> PersonsUnlinked:
    return PersonsUnlinked(
        event_id=event_id,
        child_ids=(a, b),
        unlinked_by="front-door-tm-2",
        reason="different children: twins",
        unlinked_at=AT,
    )


def test_a_valid_nhs_number_links_for_certain_however_it_is_typed() -> None:
    other = Demographics(given_name="Sam", family_name="Lee", date_of_birth=date(2015, 1, 1))
    _, (first, second) = fold(
        [
            sighting("e1", AMY, nhs_number=NHS_A),
            sighting("e2", other, nhs_number=f"{NHS_A[:3]} {NHS_A[3:6]} {NHS_A[6:]}"),
        ]
    )
    assert first.rule == "new_child"
    assert first.minted
    assert second.rule == "nhs_number"
    assert not second.minted
    assert second.child_id == first.child_id
    assert second.reviews == ()


def test_a_known_upn_police_or_la_id_links_to_the_child_it_is_linked_to() -> None:
    index, (first, by_upn, by_police, by_la) = fold(
        [
            sighting("e1", AMY, nhs_number=NHS_A, upn=UPN_A),
            sighting("e2", upn=UPN_A, police_person_ref="CLE/123", la_child_id="LA-9"),
            sighting("e3", police_person_ref=" cle/123 "),
            sighting("e4", la_child_id="LA-9"),
        ]
    )
    assert by_upn.rule == by_police.rule == by_la.rule == "known_identifier"
    assert {by_upn.child_id, by_police.child_id, by_la.child_id} == {first.child_id}
    assert children(index) == {first.child_id}


def test_an_invalid_nhs_number_is_never_used_for_linking() -> None:
    wrong_check = NHS_A[:9] + str((int(NHS_A[9]) + 1) % 10)
    index, (first, second, third) = fold(
        [
            sighting("e1", nhs_number=wrong_check),
            sighting("e2", nhs_number=wrong_check),
            sighting("e3", nhs_number=NHS_A),
        ]
    )
    assert len({first.child_id, second.child_id, third.child_id}) == 3
    assert first.notes == ("nhs_number_invalid",)
    assert not is_verified(index, first.child_id)
    assert is_verified(index, third.child_id)
    assert match_rate(index) == pytest.approx(1 / 3)


def test_a_name_date_of_birth_and_postcode_match_is_only_a_candidate_for_review() -> None:
    index, (health, school) = fold(
        [sighting("e1", AMY, nhs_number=NHS_A), sighting("e2", AMY_AS_TYPED_BY_SCHOOL, upn=UPN_A)]
    )
    assert school.minted
    assert school.child_id != health.child_id
    (review,) = school.reviews
    assert set(review.child_ids) == {health.child_id, school.child_id}
    assert review.score == 1.0
    assert review.reasons == (
        "date_of_birth_match",
        "family_name_match",
        "given_name_match",
        "postcode_match",
    )
    assert review.triggered_by == "e2"
    # A second sighting of the same pair does not queue the same question twice.
    index, again = resolve(index, sighting("e3", AMY, upn=UPN_A), key=KEY)
    assert again.child_id == school.child_id
    assert again.reviews == ()


def test_a_partial_match_scores_lower_and_still_goes_to_review() -> None:
    moved = Demographics(
        given_name="Zoe",
        family_name="OBrien-Smith",
        date_of_birth=date(2016, 3, 4),
        postcode="M1 1AE",
    )
    _, (_, second) = fold([sighting("e1", AMY, nhs_number=NHS_A), sighting("e2", moved)])
    (review,) = second.reviews
    assert review.score == 0.8
    assert "postcode_match" not in review.reasons


def test_no_names_or_identifiers_in_the_index_or_the_review_events() -> None:
    index, resolutions = fold(
        [
            sighting("e1", AMY, nhs_number=NHS_A, police_person_ref="CLE/123"),
            sighting("e2", AMY_AS_TYPED_BY_SCHOOL, upn=UPN_A),
        ]
    )
    stored = repr(index) + repr(resolutions)
    for secret in ["Zoë", "Brien", "2016-03-04", "TS18", "CLE/123", NHS_A, UPN_A]:
        assert secret.casefold() not in stored.casefold()


def test_two_different_valid_nhs_numbers_are_never_candidates() -> None:
    _, (_, second) = fold(
        [sighting("e1", AMY, nhs_number=NHS_A), sighting("e2", AMY, nhs_number=NHS_B)]
    )
    assert second.minted
    assert second.reviews == ()


def test_an_identifier_held_by_another_child_is_a_conflict_for_review() -> None:
    _, (a, b, both) = fold(
        [
            sighting("e1", nhs_number=NHS_A),
            sighting("e2", upn=UPN_B),
            sighting("e3", nhs_number=NHS_A, upn=UPN_B),
        ]
    )
    assert both.rule == "nhs_number"
    assert both.child_id == a.child_id
    (review,) = both.reviews
    assert set(review.child_ids) == {a.child_id, b.child_id}
    assert review.reasons == ("upn_shared",)


def test_a_second_nhs_number_for_a_verified_child_is_another_child() -> None:
    _, (a, other) = fold(
        [sighting("e1", nhs_number=NHS_A, upn=UPN_A), sighting("e2", nhs_number=NHS_B, upn=UPN_A)]
    )
    assert other.minted
    assert other.child_id != a.child_id
    assert [r.reasons for r in other.reviews] == [("upn_shared",)]


def test_an_nhs_number_learnt_through_a_known_upn_verifies_the_child() -> None:
    index, (school, health, later) = fold(
        [
            sighting("e1", upn=UPN_A),
            sighting("e2", upn=UPN_A, nhs_number=NHS_A),
            sighting("e3", nhs_number=NHS_A),
        ]
    )
    assert school.child_id == health.child_id == later.child_id
    assert later.rule == "nhs_number"
    assert match_rate(index) == 1.0


def test_child_ids_are_deterministic_on_replay() -> None:
    events = [
        sighting("e1", AMY, nhs_number=NHS_A),
        sighting("e2", upn=UPN_B),
        sighting("e3", police_person_ref="X1", subject_index=0),
        sighting("e3", police_person_ref="X2", subject_index=1),
        sighting("e4"),
    ]
    first, second = fold(events)[1], fold(events)[1]
    assert first == second
    assert len({r.child_id for r in first}) == 5
    # An id minted from an NHS number does not depend on what came before it.
    assert fold(events[:1])[1][0].child_id == fold(events[::-1])[1][-1].child_id


def test_a_practitioner_links_a_reviewed_pair_and_the_lower_id_survives() -> None:
    index, (health, school) = fold(
        [sighting("e1", AMY, nhs_number=NHS_A), sighting("e2", AMY, upn=UPN_A)]
    )
    (review,) = school.reviews
    index, rekeyed = decide(index, link(*review.child_ids, review_id=review.review_id))
    survivor = min(health.child_id, school.child_id)
    assert child_id_of(index, health.record_id) == child_id_of(index, school.record_id) == survivor
    assert [(r.from_child_id, r.to_child_id) for r in rekeyed] == [
        (max(health.child_id, school.child_id), survivor)
    ]
    assert index.pending == {}
    assert match_rate(index) == 1.0
    # The school's UPN now reaches the verified child.
    _, by_upn = resolve(index, sighting("e3", upn=UPN_A), key=KEY)
    assert by_upn.child_id == survivor
    assert by_upn.reviews == ()


def test_unlinking_splits_the_child_and_the_pair_is_not_reviewed_again() -> None:
    index, (health, school) = fold(
        [sighting("e1", AMY, nhs_number=NHS_A), sighting("e2", AMY, upn=UPN_A)]
    )
    linked, _ = decide(index, link(health.record_id, school.record_id))
    split, rekeyed = decide(linked, unlink(health.record_id, school.record_id))
    assert child_id_of(split, health.record_id) == health.record_id
    assert child_id_of(split, school.record_id) == school.record_id
    assert [r.to_child_id for r in rekeyed] == [max(health.record_id, school.record_id)]
    assert links(split, health.record_id) == ()
    _, again = resolve(split, sighting("e3", AMY, upn=UPN_A), key=KEY)
    assert again.reviews == ()


def test_unlinking_needs_the_direct_link_and_known_ids() -> None:
    index, (a, b, c) = fold([sighting("e1", upn=UPN_A), sighting("e2"), sighting("e3")])
    index, _ = decide(index, link(a.record_id, b.record_id))
    index, _ = decide(index, link(b.record_id, c.record_id, event_id="link-2"))
    assert len(links(index, a.record_id)) == 2
    with pytest.raises(IdentityDecisionRejected, match="only through"):
        decide(index, unlink(a.record_id, c.record_id))
    with pytest.raises(IdentityDecisionRejected, match="unknown"):
        decide(index, link(a.record_id, "nobody"))
    with pytest.raises(IdentityDecisionRejected, match="itself"):
        decide(index, link(a.record_id, a.record_id))


def test_match_rate_of_an_empty_index_is_zero() -> None:
    assert match_rate(PersonIndex()) == 0.0

"""Name normalisation, keyed hashing and candidate scores."""

from __future__ import annotations

from datetime import date

import pytest

from streams.identity.matching import (
    block_hashes,
    hashed_nhs_number,
    hashed_secondary,
    keyed_hash,
    normalise_name,
    score,
)
from streams.identity.model import Demographics, Identifiers


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Zoë", "zoe"),
        ("  O'Brien-Smith ", "obriensmith"),
        ("O’BRIEN SMITH", "obriensmith"),
        ("Łucja Øster", "lucjaoster"),
        ("Siobhán", "siobhan"),
        ("Strauß", "strauss"),
        ("François", "francois"),
    ],
)
def test_names_are_folded_for_case_spaces_hyphens_and_diacritics(typed: str, expected: str) -> None:
    assert normalise_name(typed) == expected


def test_hashes_depend_on_the_key() -> None:
    assert keyed_hash(b"one", "upn", "X") != keyed_hash(b"two", "upn", "X")
    assert keyed_hash(b"one", "upn", "X") == keyed_hash(b"one", "upn", "X")


def test_only_valid_identifiers_are_hashed() -> None:
    ids = Identifiers(
        nhs_number="9434765918", upn="not-a-upn", police_person_ref=" ", la_child_id="L1"
    )
    assert hashed_nhs_number(ids, b"k") is None
    assert [kind for kind, _ in hashed_secondary(ids, b"k")] == ["la_child_id"]
    assert hashed_nhs_number(Identifiers(nhs_number="943 476 5919"), b"k") is not None


def test_blocks_need_every_feature_they_compare() -> None:
    without_postcode = Demographics(given_name="A", family_name="B", date_of_birth=date(2020, 1, 1))
    assert list(block_hashes(without_postcode, b"k").values()) == [
        ("given_name", "family_name", "date_of_birth")
    ]
    bad_postcode = Demographics(
        given_name="A", family_name="B", date_of_birth=date(2020, 1, 1), postcode="nowhere"
    )
    assert len(block_hashes(bad_postcode, b"k")) == 1


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        ({"given_name", "family_name", "date_of_birth", "postcode"}, 1.0),
        ({"given_name", "family_name", "date_of_birth"}, 0.8),
        ({"family_name", "date_of_birth", "postcode"}, 0.8),
        ({"given_name", "date_of_birth", "postcode"}, 0.75),
        ({"given_name", "family_name", "postcode"}, 0.65),
    ],
)
def test_scores_weigh_date_of_birth_most(features: set[str], expected: float) -> None:
    assert score(frozenset(features)) == expected

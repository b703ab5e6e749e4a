"""Keyed hashes of identifiers and demographics, and the score of a candidate match.

The index keeps only HMAC-SHA256 digests under a key passed in by the caller, so its state (and
the changelog that copies it) holds no names, dates of birth, postcodes or identifiers in the clear.

Scoring. Demographics are reduced to four features: given name, family name, date of birth and
postcode (names normalised for case, spaces, hyphens, apostrophes and common diacritics). Records
are compared through *blocks*: keyed hashes of three-feature combinations, so that one differing
feature (a nickname, a new surname, a house move, a mistyped date) still meets. A candidate's
matched features are the union of the features of the blocks it shares; its score is the sum of
their weights:

    date of birth 0.35   family name 0.25   given name 0.20   postcode 0.20

Date of birth discriminates most among children; family names change less than given names are
spelt differently; postcodes change when families move. All four give 1.0; name and date of birth
0.80; family name, date of birth and postcode 0.80; given name, date of birth and postcode 0.75;
name and postcode 0.65. Any shared block (score at least 0.65) is a candidate for human review:
no score, however high, links automatically.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from typing import Final

from streams.identity.identifiers import (
    is_valid_nhs_number,
    is_valid_upn,
    normalise_nhs_number,
    normalise_postcode,
)
from streams.identity.model import Demographics, Identifiers

# Identifier kinds in the order a sighting is resolved by them after the NHS number.
SECONDARY_KINDS: Final = ("upn", "police_person_ref", "la_child_id")

WEIGHTS: Final[Mapping[str, float]] = {
    "date_of_birth": 0.35,
    "family_name": 0.25,
    "given_name": 0.20,
    "postcode": 0.20,
}

_BLOCKS: Final = (
    ("given_name", "family_name", "date_of_birth"),
    ("family_name", "date_of_birth", "postcode"),
    ("given_name", "date_of_birth", "postcode"),
    ("given_name", "family_name", "postcode"),
)

# Letters NFKD does not decompose into a base letter and a combining mark.
_FOLD: Final = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)

# Separates hashed fields; cannot occur in a normalised value.
_SEP: Final = "\x1f"


def keyed_hash(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the caller's key, as hex."""
    return hmac.new(key, _SEP.join(parts).encode(), hashlib.sha256).hexdigest()


def normalise_name(value: str) -> str:
    """Fold a name for comparison: 'Zoë O’Brien-Smith' and 'ZOE OBRIEN SMITH' agree."""
    folded = value.casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def hashed_nhs_number(ids: Identifiers, key: bytes) -> str | None:
    """The keyed hash of a valid NHS number; an invalid one is never used for linking."""
    if ids.nhs_number is None or not is_valid_nhs_number(ids.nhs_number):
        return None
    return keyed_hash(key, "nhs_number", normalise_nhs_number(ids.nhs_number))


def hashed_secondary(ids: Identifiers, key: bytes) -> tuple[tuple[str, str], ...]:
    """(kind, keyed hash) of each usable UPN, police person reference and LA child id."""
    found: list[tuple[str, str]] = []
    for kind in SECONDARY_KINDS:
        raw: str | None = getattr(ids, kind)
        value = (raw or "").strip().upper()
        if not value or (kind == "upn" and not is_valid_upn(value)):
            continue
        found.append((kind, keyed_hash(key, kind, value)))
    return tuple(found)


def invalid_identifier_notes(ids: Identifiers) -> tuple[str, ...]:
    """Why an identifier the publisher sent was ignored (kinds only, never values)."""
    notes: list[str] = []
    if ids.nhs_number and not is_valid_nhs_number(ids.nhs_number):
        notes.append("nhs_number_invalid")
    if ids.upn and not is_valid_upn(ids.upn):
        notes.append("upn_invalid")
    return tuple(notes)


def _features(demo: Demographics) -> dict[str, str]:
    features = {
        "given_name": normalise_name(demo.given_name),
        "family_name": normalise_name(demo.family_name),
        "date_of_birth": demo.date_of_birth.isoformat(),
        "postcode": normalise_postcode(demo.postcode or "") or "",
    }
    return {name: value for name, value in features.items() if value}


def block_hashes(demo: Demographics, key: bytes) -> dict[str, tuple[str, ...]]:
    """Keyed hash of each block the demographics fill -> the features that block compares."""
    features = _features(demo)
    blocks: dict[str, tuple[str, ...]] = {}
    for block in _BLOCKS:
        if all(name in features for name in block):
            digest = keyed_hash(key, "block", *block, *(features[name] for name in block))
            blocks[digest] = block
    return blocks


def score(matched: frozenset[str]) -> float:
    """Weighted sum of the features two records share (see the module docstring)."""
    return round(sum(WEIGHTS[name] for name in matched), 2)


def match_reasons(matched: frozenset[str]) -> tuple[str, ...]:
    """Feature names only, so the review event says why without saying who."""
    return tuple(f"{name}_match" for name in sorted(matched))

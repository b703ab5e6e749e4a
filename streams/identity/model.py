"""What the person index reads and what it decides: sightings, link decisions, review requests.

Names and dates of birth appear only on the way in (`Demographics`); nothing the index emits or
keeps carries them, because its state and its events are copied into changelogs and topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class Identifiers:
    """Each agency's own key for one person, as the publisher sent them (unchecked)."""

    nhs_number: str | None = None
    upn: str | None = None
    police_person_ref: str | None = None
    la_child_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Demographics:
    """Name, date of birth and postcode from a PersonRegistered: used for matching, never kept."""

    given_name: str
    family_name: str
    date_of_birth: date
    postcode: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonSighted:
    """One person named by one event: a PersonRegistered, or any event's subject.

    `subject_index` tells apart several people named by the same event (an incident's children).
    """

    event_id: str
    subject_index: int = 0
    recorded_at: datetime
    identifiers: Identifiers
    demographics: Demographics | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityReviewRequested:
    """Two child ids that may be one child, for a front-door practitioner. Ids only, no names."""

    review_id: str
    child_ids: tuple[str, str]
    score: float
    reasons: tuple[str, ...]
    requested_at: datetime
    triggered_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonsLinked:
    """A practitioner decided two child ids are one child."""

    event_id: str
    child_ids: tuple[str, str]
    linked_by: str
    reason: str
    linked_at: datetime
    review_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonsUnlinked:
    """A practitioner decided two child ids are different children (splitting a link if any)."""

    event_id: str
    child_ids: tuple[str, str]
    unlinked_by: str
    reason: str
    unlinked_at: datetime
    review_id: str | None = None


Rule = Literal["nhs_number", "known_identifier", "new_child"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """Which child a sighting is about, by which rule, and what needs a human."""

    record_id: str
    child_id: str
    rule: Rule
    minted: bool
    notes: tuple[str, ...] = ()
    reviews: tuple[IdentityReviewRequested, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRekeyed:
    """After a link or unlink, a record's events belong to a different child id."""

    record_id: str
    from_child_id: str
    to_child_id: str

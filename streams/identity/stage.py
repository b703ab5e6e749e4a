"""The identity stage as pure functions: an accepted event in, index writes and derived events out.

`place_event` reads the index, resolves each CHILD and UNBORN_CHILD subject of an event (adults
are not indexed: data minimisation), or applies a PersonsLinked / PersonsUnlinked decision, and
returns the index writes and a `Placement`: what was decided, ids and codes only. `derived_events`
turns an event and its placement into the hub-derived records for the identity log. The agent
keeps each placement by event_id, so a redelivered event gets byte-identical outputs again
instead of a second, different answer under the same event id.

The records here are the shapes of the Avro schemas in schemas/avro/identity/ (dicts, as
`schemas.codec` reads and writes them); this module knows no wire format.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, cast

from streams.identity.index import decide_changes, resolve_changes
from streams.identity.model import (
    Demographics,
    Identifiers,
    IdentityReviewRequested,
    PersonSighted,
    PersonsLinked,
    PersonsUnlinked,
    RecordRekeyed,
    Rule,
)
from streams.identity.state import (
    NO_CHANGES,
    IndexChanges,
    IndexView,
    child_id_of,
    overlay,
    then,
)

CHILD_ROLES: Final = frozenset({"CHILD", "UNBORN_CHILD"})
DECISION_TYPES: Final = ("PersonsLinked", "PersonsUnlinked")
_IDENTIFIERS: Final = ("nhs_number", "upn", "police_person_ref", "la_child_id")

# Derived events are the hub's own: agency_id "hub" tells them apart from any council's events.
HUB_SOURCE: Final[Mapping[str, Any]] = {
    "agency_id": "hub",
    "agency_kind": "LOCAL_AUTHORITY",
    "system": "hub",
    "practitioner_role": None,
}
# Derived event ids are uuid5 of what they derive from, so a replay derives the same ids.
DERIVED_EVENT_NAMESPACE: Final = uuid.UUID("0b7e2f4c-1d9a-5e63-8c2b-7a4f9d3e1c58")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacedSubject:
    """One child subject of an event: the record and child it resolved to, and how."""

    subject_index: int
    record_id: str
    child_id: str
    rule: Rule
    minted: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """What the stage decided for one event: ids, rules and codes, never personal data."""

    subject_count: int
    subjects: tuple[PlacedSubject, ...] = ()
    reviews: tuple[IdentityReviewRequested, ...] = ()
    rekeyed: tuple[RecordRekeyed, ...] = ()
    decision_key: str | None = None  # the child id a decision's RecordsRekeyed is keyed by

    @property
    def subject_records(self) -> list[str | None]:
        """The record id of each subject by index; None for subjects not indexed (adults)."""
        records: list[str | None] = [None] * self.subject_count
        for placed in self.subjects:
            records[placed.subject_index] = placed.record_id
        return records

    def to_json(self) -> dict[str, Any]:
        """A JSON value for the placements table."""
        return {
            "n": self.subject_count,
            "s": [
                [p.subject_index, p.record_id, p.child_id, p.rule, p.minted, list(p.notes)]
                for p in self.subjects
            ],
            "r": [[r.review_id, list(r.child_ids), r.score, list(r.reasons)] for r in self.reviews],
            "k": [[r.record_id, r.from_child_id, r.to_child_id] for r in self.rekeyed],
            "d": self.decision_key,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any], record: Mapping[str, Any]) -> Placement:
        """The placement `to_json` stored for this event (`record` supplies its times)."""
        event_id = str(record["event_id"])
        return cls(
            subject_count=int(value["n"]),
            subjects=tuple(
                PlacedSubject(
                    subject_index=i,
                    record_id=rid,
                    child_id=cid,
                    rule=cast(Rule, rule),
                    minted=bool(minted),
                    notes=tuple(notes),
                )
                for i, rid, cid, rule, minted, notes in value["s"]
            ),
            reviews=tuple(
                IdentityReviewRequested(
                    review_id=rid,
                    child_ids=(ids[0], ids[1]),
                    score=float(found),
                    reasons=tuple(why),
                    requested_at=record["recorded_at"],
                    triggered_by=event_id,
                )
                for rid, ids, found, why in value["r"]
            ),
            rekeyed=tuple(
                RecordRekeyed(record_id=r, from_child_id=f, to_child_id=t) for r, f, t in value["k"]
            ),
            decision_key=value["d"],
        )


def sightings(record: Mapping[str, Any]) -> list[PersonSighted]:
    """A sighting per CHILD or UNBORN_CHILD subject, in subject order.

    A PersonRegistered is about one person: its first child subject also carries the record's
    own identifiers and its name, date of birth and postcode (no other event's demographics are
    used). A PersonRegistered of an adult has no child subject and indexes nothing.
    """
    registered = record.get("event_type") == "PersonRegistered"
    found: list[PersonSighted] = []
    for i, subject in enumerate(record.get("subjects") or []):
        if subject.get("role") not in CHILD_ROLES:
            continue
        ids = {k: subject.get(k) for k in _IDENTIFIERS}
        demographics = None
        if registered and not found:
            ids = {k: record.get(k) or ids[k] for k in _IDENTIFIERS}
            demographics = Demographics(
                given_name=record["given_name"],
                family_name=record["family_name"],
                date_of_birth=record["date_of_birth"],
                postcode=record.get("postcode"),
            )
        found.append(
            PersonSighted(
                event_id=str(record["event_id"]),
                subject_index=i,
                recorded_at=record["recorded_at"],
                identifiers=Identifiers(**ids),
                demographics=demographics,
            )
        )
    return found


def decision(record: Mapping[str, Any]) -> PersonsLinked | PersonsUnlinked:
    """The practitioner's decision a PersonsLinked or PersonsUnlinked record carries."""
    a, b = record["child_ids"]
    review = record.get("review_id")
    common: dict[str, Any] = {
        "event_id": str(record["event_id"]),
        "child_ids": (str(a), str(b)),
        "reason": record["reason"],
        "review_id": None if review is None else str(review),
    }
    if record["event_type"] == "PersonsLinked":
        return PersonsLinked(
            **common, linked_by=record["linked_by"], linked_at=record["occurred_at"]
        )
    return PersonsUnlinked(
        **common, unlinked_by=record["unlinked_by"], unlinked_at=record["occurred_at"]
    )


def place_event(
    index: IndexView, record: Mapping[str, Any], *, key: bytes
) -> tuple[IndexChanges, Placement]:
    """The index writes for one accepted event, and what was decided.

    Several children in one event are resolved in subject order, each reading the index as the
    earlier ones left it. Raises IdentityDecisionRejected for a decision the index cannot apply.
    """
    subject_count = len(record.get("subjects") or [])
    if record.get("event_type") in DECISION_TYPES:
        made = decision(record)
        changes, rekeyed = decide_changes(index, made)
        key_child = min(child_id_of(index, rid) for rid in made.child_ids)
        return changes, Placement(
            subject_count=subject_count, rekeyed=rekeyed, decision_key=key_child
        )
    changes = NO_CHANGES
    placed: list[PlacedSubject] = []
    reviews: list[IdentityReviewRequested] = []
    for sighting in sightings(record):
        written, resolution = resolve_changes(overlay(index, changes), sighting, key=key)
        changes = then(changes, written)
        reviews += resolution.reviews
        placed.append(
            PlacedSubject(
                subject_index=sighting.subject_index,
                record_id=resolution.record_id,
                child_id=resolution.child_id,
                rule=resolution.rule,
                minted=resolution.minted,
                notes=resolution.notes,
            )
        )
    return changes, Placement(
        subject_count=subject_count, subjects=tuple(placed), reviews=tuple(reviews)
    )


DerivedType = Literal["SubjectsResolved", "IdentityReviewRequested", "RecordsRekeyed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DerivedEvent:
    """A record for the identity log and the child id it is keyed by."""

    key: str
    event_type: DerivedType
    record: dict[str, Any]


def _envelope(
    event_type: DerivedType, seed: str, occurred_at: datetime, recorded_at: datetime
) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid5(DERIVED_EVENT_NAMESPACE, f"{event_type}:{seed}"),
        "event_type": event_type,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "source": dict(HUB_SOURCE),
        "subjects": [],  # ids only: the subjects' identifiers stay in the source event
        "lawful_basis": None,
    }


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def derived_events(record: Mapping[str, Any], placement: Placement) -> list[DerivedEvent]:
    """The identity log's records for one event: a function of the event and its placement only.

    A decision gives one RecordsRekeyed when it moved any record (none when it changed nothing);
    any other event gives one SubjectsResolved (keyed by its first child, or by its own event id
    when it names no child) and an IdentityReviewRequested per review it raised.
    """
    event_id = str(record["event_id"])
    occurred, recorded = record["occurred_at"], record["recorded_at"]
    if record["event_type"] in DECISION_TYPES:
        if not placement.rekeyed:
            return []
        review = record.get("review_id")
        rekeyed = {
            **_envelope("RecordsRekeyed", event_id, occurred, recorded),
            "decision_event_id": _uuid(record["event_id"]),
            "decision_type": record["event_type"],
            "review_id": None if review is None else _uuid(review),
            "rekeyed": [
                {
                    "record_id": r.record_id,
                    "from_child_id": r.from_child_id,
                    "to_child_id": r.to_child_id,
                }
                for r in placement.rekeyed
            ],
        }
        return [
            DerivedEvent(
                key=placement.decision_key or event_id, event_type="RecordsRekeyed", record=rekeyed
            )
        ]
    resolved = {
        **_envelope("SubjectsResolved", event_id, occurred, recorded),
        "source_event_id": _uuid(record["event_id"]),
        "source_event_type": record["event_type"],
        "resolutions": [
            {
                "subject_index": p.subject_index,
                "record_id": p.record_id,
                "child_id": p.child_id,
                "rule": p.rule.upper(),
                "minted": p.minted,
                "notes": list(p.notes),
            }
            for p in placement.subjects
        ],
    }
    key = placement.subjects[0].child_id if placement.subjects else event_id
    out = [DerivedEvent(key=key, event_type="SubjectsResolved", record=resolved)]
    for review in placement.reviews:
        requested = {
            **_envelope("IdentityReviewRequested", review.review_id, recorded, recorded),
            "review_id": _uuid(review.review_id),
            "child_ids": list(review.child_ids),
            "score": review.score,
            "reasons": list(review.reasons),
            "triggered_by_event_id": _uuid(record["event_id"]),
        }
        out.append(
            DerivedEvent(
                key=review.child_ids[0], event_type="IdentityReviewRequested", record=requested
            )
        )
    return out

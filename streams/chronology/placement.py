"""Placing one chronology event in a record's chronology, from ids and order keys alone.

The agent keeps, per record id, only a skeleton of each event (`Skeleton`: event id, kind,
recorded_at, occurred_at, police reference, the event an amendment names, a curation's
decision): no content, since
the content is in the log already. The structure of a record's chronology (which entry each
event belongs to, version numbers, what supersedes or strikes what) depends only on those keys,
so it is `build` run over content-free copies of the events. Each event touches exactly one entry
(its own, its police-reference group's or the one it amends), so `place` answers with that
entry's whole structure as it stands now: applied in log order with last-write-wins per
(record id, source event id), the result is the structure `build` gives for all events, in
whatever order they arrived (a backdated event, a re-notification recorded earlier but arriving
later, an amendment before its entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from streams.chronology.build import build
from streams.chronology.model import (
    Chronology,
    ChronologyEntry,
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    SignificantEventRecorded,
    Source,
)

Kind = Literal["entry", "correction", "retraction", "curation"]
Change = Literal[
    "ENTRY_RECORDED",
    "ENTRY_RENOTIFIED",
    "ENTRY_CORRECTED",
    "ENTRY_RETRACTED",
    "AMENDMENT_PENDING",
    "ENTRY_CURATED",
]
_BLANK: Final = Source(agency_id="", agency_kind="")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Skeleton:
    """One event of a record's chronology as the agent's table keeps it: ids and order keys."""

    event_id: str
    kind: Kind
    recorded_at: datetime
    occurred_at: datetime | None = None  # entries only
    police_reference: str | None = None  # entries only
    target: str | None = None  # amendments and curations only: the event they name
    include: bool | None = None  # curations only: printed or not

    def to_json(self) -> list[Any]:
        """Compact JSON for the table (its changelog is a second copy: ids and times only)."""
        occurred = None if self.occurred_at is None else self.occurred_at.isoformat()
        item = [
            self.event_id,
            self.kind,
            self.recorded_at.isoformat(),
            occurred,
            self.police_reference,
            self.target,
        ]
        return item if self.include is None else [*item, self.include]

    @classmethod
    def from_json(cls, item: Sequence[Any]) -> Skeleton:
        # Six items before curation existed; a curation's decision is the seventh.
        event_id, kind, recorded, occurred, police_reference, target = item[:6]
        return cls(
            event_id=event_id,
            kind=kind,
            recorded_at=datetime.fromisoformat(recorded),
            occurred_at=None if occurred is None else datetime.fromisoformat(occurred),
            police_reference=police_reference,
            target=target,
            include=item[6] if len(item) > 6 else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionIds:
    """One version of an entry, structure only: who supersedes or strikes it, by event id."""

    source_event_id: str
    version: int
    superseded_by: str | None
    retracted_by: str | None
    included: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """Where one event sits in a record's chronology now, and its entry's whole structure."""

    change: Change
    entry_id: str | None  # None: an amendment whose entry has not reached this record yet
    versions: tuple[VersionIds, ...]
    new: bool  # False for a redelivery (the skeleton already held the event)


def skeleton_of(event: ChronologyEvent) -> Skeleton:
    """The ids and order keys of a chronology event."""
    if isinstance(event, SignificantEventRecorded):
        return Skeleton(
            event_id=event.event_id,
            kind="entry",
            recorded_at=event.recorded_at,
            occurred_at=event.occurred_at,
            police_reference=event.police_reference,
        )
    if isinstance(event, EntryCurated):
        return Skeleton(
            event_id=event.event_id,
            kind="curation",
            recorded_at=event.recorded_at,
            target=event.entry_id,
            include=event.include,
        )
    kind: Kind = "correction" if isinstance(event, EntryCorrected) else "retraction"
    return Skeleton(
        event_id=event.event_id, kind=kind, recorded_at=event.recorded_at, target=event.entry_id
    )


def _blank(record_id: str, skeleton: Skeleton) -> ChronologyEvent:
    """A content-free event with the same ids and order keys."""
    records = frozenset({record_id})
    if skeleton.kind == "entry":
        return SignificantEventRecorded(
            event_id=skeleton.event_id,
            record_ids=records,
            occurred_at=skeleton.occurred_at or _EPOCH,
            recorded_at=skeleton.recorded_at,
            source=_BLANK,
            category="",
            summary="",
            impact_on_child="",
            action_taken="",
            lawful_basis="",
            police_reference=skeleton.police_reference,
        )
    target = skeleton.target or ""
    if skeleton.kind == "correction":
        return EntryCorrected(
            event_id=skeleton.event_id,
            record_ids=records,
            entry_id=target,
            recorded_at=skeleton.recorded_at,
            corrected_by=_BLANK,
            reason="",
        )
    if skeleton.kind == "curation":
        return EntryCurated(
            event_id=skeleton.event_id,
            record_ids=records,
            entry_id=target,
            include=bool(skeleton.include),
            recorded_at=skeleton.recorded_at,
            curated_by=_BLANK,
        )
    return EntryRetracted(
        event_id=skeleton.event_id,
        record_ids=records,
        entry_id=target,
        recorded_at=skeleton.recorded_at,
        retracted_by=_BLANK,
        reason="",
    )


def structure(record_id: str, skeletons: Iterable[Skeleton]) -> Chronology:
    """The record's chronology with blank content: entry ids, versions and marks are exact."""
    return build(record_id, (_blank(record_id, s) for s in skeletons))


def _ids(entry: ChronologyEntry) -> VersionIds:
    return VersionIds(
        source_event_id=entry.source_event_id,
        version=entry.version,
        superseded_by=None if entry.superseded is None else entry.superseded.event_id,
        retracted_by=None if entry.retracted is None else entry.retracted.event_id,
        included=entry.included,
    )


def _entry_of(chronology: Chronology, skeleton: Skeleton) -> ChronologyEntry | None:
    """The version row this event made (entries, corrections), struck (retractions) or names
    (curations: any version of the entry they curate)."""
    for entry in chronology.entries:
        if skeleton.kind == "curation":
            if entry.source_event_id == skeleton.target:
                return entry
        elif skeleton.kind == "retraction":
            if entry.retracted is not None and entry.retracted.event_id == skeleton.event_id:
                return entry
        elif entry.source_event_id == skeleton.event_id:
            return entry
    return None


def place(
    record_id: str, state: Sequence[Sequence[Any]], event: ChronologyEvent
) -> tuple[list[list[Any]], Placement]:
    """Add `event` to a record's skeleton state; the new state and where the event sits."""
    skeletons = [Skeleton.from_json(item) for item in state]
    mine = skeleton_of(event)
    new = all(s.event_id != mine.event_id for s in skeletons)
    if new:
        skeletons.append(mine)
    chronology = structure(record_id, skeletons)
    found = _entry_of(chronology, mine)
    if found is None:
        placement = Placement(change="AMENDMENT_PENDING", entry_id=None, versions=(), new=new)
    else:
        versions = tuple(_ids(e) for e in chronology.entries if e.entry_id == found.entry_id)
        change: Change
        if mine.kind == "correction":
            change = "ENTRY_CORRECTED"
        elif mine.kind == "retraction":
            change = "ENTRY_RETRACTED"
        elif mine.kind == "curation":
            change = "ENTRY_CURATED"
        else:
            change = "ENTRY_RECORDED" if found.version == 1 else "ENTRY_RENOTIFIED"
        placement = Placement(
            change=change,
            entry_id=found.entry_id,
            versions=tuple(sorted(versions, key=lambda v: v.version)),
            new=new,
        )
    return [s.to_json() for s in skeletons], placement


def final_structure(
    record_id: str, events: Iterable[ChronologyEvent]
) -> Mapping[str, tuple[str, VersionIds]]:
    """source event id -> (entry id, version ids) for every version: what the log converges to."""
    chronology = build(record_id, events)
    return {e.source_event_id: (e.entry_id, _ids(e)) for e in chronology.entries}


__all__ = [
    "Change",
    "Placement",
    "Skeleton",
    "VersionIds",
    "final_structure",
    "place",
    "skeleton_of",
    "structure",
]

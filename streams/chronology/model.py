"""What a chronology is built from (events about a child) and what it shows (entries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Who recorded something: the agency, its kind, and the practitioner's role (and id)."""

    agency_id: str
    agency_kind: str
    practitioner_role: str | None = None
    practitioner_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignificantEventRecorded:
    """An accepted event as the chronology reads it: one entry (or a revision of one).

    `record_ids` are the person-index records the event's subjects resolved to; `route` turns
    them into child ids when the chronology is read, so linking and unlinking re-key for free.
    """

    event_id: str
    record_ids: frozenset[str]
    occurred_at: datetime
    recorded_at: datetime
    source: Source
    category: str
    summary: str
    impact_on_child: str
    action_taken: str
    lawful_basis: str
    police_reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryCorrected:
    """A new version of an entry; fields left as None keep the previous version's value."""

    event_id: str
    record_ids: frozenset[str]
    entry_id: str  # the entry, or any version of it (a correction may correct a correction)
    recorded_at: datetime
    corrected_by: Source
    reason: str
    occurred_at: datetime | None = None
    category: str | None = None
    summary: str | None = None
    impact_on_child: str | None = None
    action_taken: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRetracted:
    """Entered in error: the entry (or the one version named) is struck through, never removed."""

    event_id: str
    record_ids: frozenset[str]
    entry_id: str
    recorded_at: datetime
    retracted_by: Source
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryCurated:
    """A lead practitioner includes or excludes an entry from the printed chronology."""

    event_id: str
    record_ids: frozenset[str]
    entry_id: str
    include: bool
    recorded_at: datetime
    curated_by: Source


ChronologyEvent = SignificantEventRecorded | EntryCorrected | EntryRetracted | EntryCurated


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    """Who did something to an entry, when, by which event, and why."""

    event_id: str
    by: Source
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChronologyEntry:
    """One version of one entry. `entry_id` is the source event id of its first version.

    `source_event_id` is the event this version came from (the entry itself, a re-notification
    or a correction); `amendment` says who made this version and why (None for the first).
    """

    entry_id: str
    version: int
    child_id: str
    occurred_at: datetime
    recorded_at: datetime
    source: Source
    category: str
    summary: str
    impact_on_child: str
    action_taken: str
    source_event_id: str
    lawful_basis: str
    police_reference: str | None
    amendment: Mark | None = None
    superseded: Mark | None = None
    retracted: Mark | None = None
    included: bool = True
    curated: Mark | None = None

    @property
    def is_current(self) -> bool:
        """Neither superseded nor entered in error: what a practitioner reads."""
        return self.superseded is None and self.retracted is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Chronology:
    """A child's entries (every version, in order) and amendments still waiting for their entry.

    `events` are the inputs, de-duplicated and sorted by event id, so `add` can rebuild.
    """

    child_id: str
    entries: tuple[ChronologyEntry, ...]
    pending: tuple[str, ...]
    events: tuple[ChronologyEvent, ...]

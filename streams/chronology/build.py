"""A child's chronology as a pure function of the set of events concerning it.

The result depends only on which events there are, never on the order they arrived in: events are
de-duplicated by event id and every choice below is made on a total order, so a late, backdated or
out-of-order event (even a correction that arrives before its entry) lands in its place on rebuild.

Rules:
- Entries are ordered by when it happened, then when recorded, then entry id and version.
- Events with the same police reference are one entry (Operation Encompass re-notification): the
  first recorded is the entry, later ones are revisions; the latest recorded version is current.
- A correction is a new version built on the version current before it; the old one is kept and
  marked superseded (who, when, why).
- A retraction of an entry's first version strikes the whole entry; a retraction of a later
  version (a correction or a re-notification) strikes only that version, and the chain goes on
  without it. A correction never revives a retracted entry: it is kept, struck like the rest.
- The latest curation of an entry decides whether it is printed; the record is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from streams.chronology.model import (
    Chronology,
    ChronologyEntry,
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    Mark,
    SignificantEventRecorded,
)

_Version = SignificantEventRecorded | EntryCorrected
_T = TypeVar("_T")


def _recorded(event: ChronologyEvent) -> tuple[datetime, str]:
    return (event.recorded_at, event.event_id)


def _first_version(child_id: str, event: SignificantEventRecorded) -> ChronologyEntry:
    return ChronologyEntry(
        entry_id=event.event_id,
        version=1,
        child_id=child_id,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        source=event.source,
        category=event.category,
        summary=event.summary,
        impact_on_child=event.impact_on_child,
        action_taken=event.action_taken,
        source_event_id=event.event_id,
        lawful_basis=event.lawful_basis,
        police_reference=event.police_reference,
    )


def _amendment(event: _Version) -> Mark:
    if isinstance(event, EntryCorrected):
        return Mark(
            event_id=event.event_id,
            by=event.corrected_by,
            at=event.recorded_at,
            reason=event.reason,
        )
    return Mark(
        event_id=event.event_id, by=event.source, at=event.recorded_at, reason="re-notified"
    )


def _or(value: _T | None, previous: _T) -> _T:
    return previous if value is None else value


def _next_version(previous: ChronologyEntry, event: _Version, version: int) -> ChronologyEntry:
    """The version `event` makes on top of `previous` (a re-notification replaces the content)."""
    if isinstance(event, SignificantEventRecorded):
        fresh = _first_version(previous.child_id, event)
        return replace(
            fresh, entry_id=previous.entry_id, version=version, amendment=_amendment(event)
        )
    return replace(
        previous,
        version=version,
        occurred_at=_or(event.occurred_at, previous.occurred_at),
        recorded_at=event.recorded_at,
        category=_or(event.category, previous.category),
        summary=_or(event.summary, previous.summary),
        impact_on_child=_or(event.impact_on_child, previous.impact_on_child),
        action_taken=_or(event.action_taken, previous.action_taken),
        source_event_id=event.event_id,
        amendment=_amendment(event),
    )


def _retraction_mark(event: EntryRetracted) -> Mark:
    return Mark(
        event_id=event.event_id, by=event.retracted_by, at=event.recorded_at, reason=event.reason
    )


def _entry_versions(
    child_id: str,
    chain: list[_Version],
    struck: dict[str, Mark],
    whole: Mark | None,
    curation: EntryCurated | None,
) -> list[ChronologyEntry]:
    """Every version of one entry; `chain` starts with the entry's first event."""
    first = chain[0]
    assert isinstance(first, SignificantEventRecorded)  # the chain is built that way
    rows = [_first_version(child_id, first)]
    live = 0  # index in rows of the version later ones build on
    for position, event in enumerate(chain[1:], start=2):
        row = _next_version(rows[live], event, position)
        if event.event_id not in struck:
            rows[live] = replace(rows[live], superseded=_amendment(event))
            live = len(rows)
        rows.append(row)
    curated = None
    if curation is not None:
        curated = Mark(
            event_id=curation.event_id,
            by=curation.curated_by,
            at=curation.recorded_at,
            reason="included" if curation.include else "excluded",
        )
    if curation is None and whole is None and not any(r.source_event_id in struck for r in rows):
        return rows  # nothing to mark (most entries): spare a copy of each version
    return [
        replace(
            row,
            retracted=struck.get(row.source_event_id) or whole,
            included=curation.include if curation is not None else True,
            curated=curated,
        )
        for row in rows
    ]


def build(child_id: str, events: Iterable[ChronologyEvent]) -> Chronology:
    """The chronology of `child_id` from every event routed to it, in any order."""
    unique = {event.event_id: event for event in events}
    ordered = tuple(sorted(unique.values(), key=lambda e: e.event_id))

    # Group entries: one per police reference, else one per event.
    groups: dict[str, list[SignificantEventRecorded]] = {}
    for event in ordered:
        if isinstance(event, SignificantEventRecorded):
            key = (
                f"ref:{event.police_reference}"
                if event.police_reference
                else f"id:{event.event_id}"
            )
            groups.setdefault(key, []).append(event)
    owner: dict[str, str] = {}
    chains: dict[str, list[_Version]] = {}
    for group in groups.values():
        group.sort(key=_recorded)
        chains[group[0].event_id] = list(group)
        owner.update(dict.fromkeys((e.event_id for e in group), group[0].event_id))

    corrections = {e.event_id: e for e in ordered if isinstance(e, EntryCorrected)}

    def entry_of(target: str) -> str | None:
        seen: set[str] = set()
        while target not in owner:
            correction = corrections.get(target)
            if correction is None or target in seen:
                return None
            seen.add(target)
            target = correction.entry_id
        return owner[target]

    pending: list[str] = []
    whole: dict[str, Mark] = {}
    struck: dict[str, Mark] = {}
    curations: dict[str, EntryCurated] = {}
    for event in sorted(ordered, key=_recorded):
        if isinstance(event, SignificantEventRecorded):
            continue
        entry_id = entry_of(event.entry_id)
        if entry_id is None:
            pending.append(event.event_id)
        elif isinstance(event, EntryCorrected):
            chains[entry_id].append(event)
        elif isinstance(event, EntryRetracted):
            # Naming the entry strikes all of it, naming a later version strikes that version.
            # Events are taken in recorded order, so the earliest retraction is the mark.
            if event.entry_id == entry_id:
                whole.setdefault(entry_id, _retraction_mark(event))
            else:
                struck.setdefault(event.entry_id, _retraction_mark(event))
        else:
            curations[entry_id] = event  # latest recorded wins

    entries: list[ChronologyEntry] = []
    for entry_id, chain in chains.items():
        chain[1:] = sorted(chain[1:], key=_recorded)
        versions = _entry_versions(
            child_id, chain, struck, whole.get(entry_id), curations.get(entry_id)
        )
        entries.extend(versions)
    entries.sort(key=lambda e: (e.occurred_at, e.recorded_at, e.entry_id, e.version))
    return Chronology(
        child_id=child_id, entries=tuple(entries), pending=tuple(sorted(pending)), events=ordered
    )


def add(chronology: Chronology, event: ChronologyEvent) -> Chronology:
    """Fold one more event in: the same result as building from all the events at once."""
    return build(chronology.child_id, (*chronology.events, event))


def visible_entries(
    chronology: Chronology, *, include_retracted: bool, printed: bool
) -> tuple[ChronologyEntry, ...]:
    """The rows a reader sees.

    Auditors (include_retracted=True): every version, superseded and retracted ones struck
    through. Practitioners (include_retracted=False): current versions only. Printed (printed=True,
    for e.g. a child protection conference): current versions the lead practitioner has not
    excluded; struck rows are never printed, whatever include_retracted says.
    """
    if printed:
        return tuple(e for e in chronology.entries if e.is_current and e.included)
    if include_retracted:
        return chronology.entries
    return tuple(e for e in chronology.entries if e.is_current)


def route(
    events: Iterable[ChronologyEvent], child_of: Callable[[str], str]
) -> dict[str, tuple[ChronologyEvent, ...]]:
    """Each event under each child it concerns, once per child even if several of its records
    were linked into that child. `child_of` maps a record id to its child id now."""
    routed: dict[str, dict[str, ChronologyEvent]] = {}
    for event in events:
        for child in {child_of(r) for r in event.record_ids}:
            routed.setdefault(child, {})[event.event_id] = event
    return {
        child: tuple(sorted(by_id.values(), key=lambda e: e.event_id))
        for child, by_id in sorted(routed.items())
    }


def build_all(
    events: Iterable[ChronologyEvent], child_of: Callable[[str], str]
) -> dict[str, Chronology]:
    """Every child's chronology from one set of events."""
    return {child: build(child, routed) for child, routed in route(events, child_of).items()}

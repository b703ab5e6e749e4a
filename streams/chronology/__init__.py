"""Each child's multi-agency chronology, built purely from the events concerning it."""

from streams.chronology.build import add, build, build_all, route, visible_entries
from streams.chronology.model import (
    Chronology,
    ChronologyEntry,
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    Mark,
    SignificantEventRecorded,
    Source,
)

__all__ = [
    "Chronology",
    "ChronologyEntry",
    "ChronologyEvent",
    "EntryCorrected",
    "EntryCurated",
    "EntryRetracted",
    "Mark",
    "SignificantEventRecorded",
    "Source",
    "add",
    "build",
    "build_all",
    "route",
    "visible_entries",
]

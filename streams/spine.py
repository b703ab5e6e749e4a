"""The spine: accepted events fanned out per child, for the stages after identity resolution.

The contract (the chronology, sharing and Encompass stages consume it; change it only with them):

- topic ``by_child_topic(app_id)`` = ``<app id>-by-child``, ``LOG_PARTITIONS`` (4) partitions,
  kept forever (stages rebuild their tables from it);
- one message per CHILD or UNBORN_CHILD subject of each accepted event, in subject order;
- key: that subject's record id (utf-8). A record id never changes; the child a record belongs
  to can (RecordsRekeyed on hub.log.identity.v1), so keep per-child state keyed by record id;
- value: the accepted event's bytes, unchanged (decode with ``schemas.codec.decode``);
- headers (all utf-8 text): ``EVENT_ID``, ``EVENT_TYPE``, ``RECORD_ID``, ``CHILD_ID`` (the
  child the record belonged to when resolved), ``SUBJECT_INDEX`` (decimal, zero-based into the
  event's subjects), ``SUBJECT_RECORDS`` (a JSON list: the record id of each subject by index,
  null for subjects that are not indexed, i.e. adults). IncidentRecorded's
  ``children[i].subject_index`` maps a linked child to its record through SUBJECT_RECORDS.

Not forwarded: events with no child subject (an adult-only event; they still get a
SubjectsResolved on the identity log), and PersonsLinked / PersonsUnlinked (identity decisions:
their effect is a RecordsRekeyed on the identity log; their subjects are not resolved).
Delivery is at least once: a redelivered message is byte-for-byte the same message (same key,
value and headers), so consumers de-duplicate by (EVENT_ID, SUBJECT_INDEX).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from schemas.topics import LOG_PARTITIONS

BY_CHILD_PARTITIONS: Final = LOG_PARTITIONS

EVENT_ID: Final = "hub.event_id"
EVENT_TYPE: Final = "hub.event_type"
RECORD_ID: Final = "hub.record_id"
CHILD_ID: Final = "hub.child_id"
SUBJECT_INDEX: Final = "hub.subject_index"
SUBJECT_RECORDS: Final = "hub.subject_records"

HEADERS: Final = (EVENT_ID, EVENT_TYPE, RECORD_ID, CHILD_ID, SUBJECT_INDEX, SUBJECT_RECORDS)


def by_child_topic(app_id: str) -> str:
    """The spine topic of the faust app with this id."""
    return f"{app_id}-by-child"


def identity_input_topic(app_id: str) -> str:
    """The identity stage's single-partition input (accepted events, repartitioned)."""
    return f"{app_id}-identity-input"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpineHeaders:
    """The headers of one spine message, parsed."""

    event_id: str
    event_type: str
    record_id: str
    child_id: str
    subject_index: int
    subject_records: tuple[str | None, ...]


def spine_headers(
    *,
    event_id: str,
    event_type: str,
    record_id: str,
    child_id: str,
    subject_index: int,
    subject_records: Sequence[str | None],
) -> list[tuple[str, bytes]]:
    """The headers of one spine message, in the contract's order."""
    return [
        (EVENT_ID, event_id.encode()),
        (EVENT_TYPE, event_type.encode()),
        (RECORD_ID, record_id.encode()),
        (CHILD_ID, child_id.encode()),
        (SUBJECT_INDEX, str(subject_index).encode()),
        (SUBJECT_RECORDS, json.dumps(list(subject_records)).encode()),
    ]


def read_spine_headers(
    headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes],
) -> SpineHeaders:
    """Parse a spine message's headers (a faust event's or a kafka-python record's)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    found = {name: bytes(value).decode() for name, value in pairs if name in HEADERS}
    missing = [name for name in HEADERS if name not in found]
    if missing:
        raise ValueError(f"not a spine message: missing {', '.join(missing)}")
    return SpineHeaders(
        event_id=found[EVENT_ID],
        event_type=found[EVENT_TYPE],
        record_id=found[RECORD_ID],
        child_id=found[CHILD_ID],
        subject_index=int(found[SUBJECT_INDEX]),
        subject_records=tuple(json.loads(found[SUBJECT_RECORDS])),
    )

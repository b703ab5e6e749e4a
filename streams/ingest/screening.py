"""Screening of what agencies publish: accept it for the log, or say exactly why not.

Pure: bytes and the current time in, a verdict out. The validation agent and the HTTP gateway
both call it, so a record is judged the same way whichever door it came in by.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas import codec
from schemas.errors import DecodeError, FieldProblem, MalformedPayload, UnknownEventType
from schemas.topics import INGEST_KIND_OF_AGENCY
from schemas.validation import may_publish, validate_event


class Reason(enum.StrEnum):
    """Why a record went to the dead-letter topic (the `hub.reason` header)."""

    MALFORMED = "malformed"  # not Avro in a framing we read, or a body that does not decode
    UNKNOWN_SCHEMA = "unknown_schema"  # a fingerprint or registry id not in the catalogue
    INVALID = "invalid"  # decodes, but fails a rule Avro cannot express (check digits, times...)
    NOT_PERMITTED = "not_permitted"  # the publisher's agency kind may not publish this type
    WRONG_TOPIC = "wrong_topic"  # published on another kind of agency's ingest topic
    DUPLICATE = "duplicate_event_id"  # same event_id and same bytes as an accepted event
    CONFLICTING_DUPLICATE = "conflicting_event_id"  # same event_id, different content
    PROCESSING_ERROR = "processing_error"  # the hub failed on it: a bug to fix, then replay


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """A record fit for the accepted log."""

    event_id: str
    event_type: str
    agency_kind: str
    record: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """A record for the dead-letter topic; `detail` names fields and rules, never values."""

    reason: Reason
    detail: str
    event_type: str = ""
    agency_kind: str = ""


def describe(problems: list[FieldProblem]) -> str:
    """Field problems as one line: 'subjects[0].identifiers.nhs_number: fails the check digit; ...'."""
    return "; ".join(f"{p.field or '(record)'}: {p.message}" for p in problems)


def judge(
    event_type: str, record: dict[str, Any], *, now: datetime, ingest_kind: str | None
) -> Accepted | Rejected:
    """The checks after decoding: rules Avro cannot express, publishing rights, the right topic."""
    source = record.get("source") or {}
    agency_kind = str(source.get("agency_kind", ""))
    problems = validate_event(event_type, record, now=now)
    if problems:
        return Rejected(
            reason=Reason.INVALID,
            detail=describe(problems),
            event_type=event_type,
            agency_kind=agency_kind,
        )
    if not may_publish(agency_kind, event_type):
        return Rejected(
            reason=Reason.NOT_PERMITTED,
            detail=f"a {agency_kind} agency may not publish {event_type}",
            event_type=event_type,
            agency_kind=agency_kind,
        )
    if ingest_kind is not None and INGEST_KIND_OF_AGENCY.get(agency_kind) != ingest_kind:
        return Rejected(
            reason=Reason.WRONG_TOPIC,
            detail=f"a {agency_kind} agency publishes to its own ingest topic, "
            f"not the {ingest_kind} one",
            event_type=event_type,
            agency_kind=agency_kind,
        )
    return Accepted(
        event_id=str(record["event_id"]),
        event_type=event_type,
        agency_kind=agency_kind,
        record=record,
    )


def screen(raw: bytes | None, *, now: datetime, ingest_kind: str | None) -> Accepted | Rejected:
    """Decode and judge one record as it arrived on an ingest topic."""
    if raw is None:
        return Rejected(reason=Reason.MALFORMED, detail="record has no value")
    try:
        decoded = codec.decode(raw)
    except MalformedPayload as exc:
        return Rejected(reason=Reason.MALFORMED, detail=str(exc))
    except (DecodeError, UnknownEventType) as exc:
        return Rejected(reason=Reason.UNKNOWN_SCHEMA, detail=str(exc))
    return judge(decoded.event_type, decoded.record, now=now, ingest_kind=ingest_kind)

"""Whether an authenticated agency's JSON event may enter its ingest topic: a pure decision.

The same rules as the stream's screening (``streams.ingest.screening``), answered synchronously
so an agency without Kafka learns at once what is wrong, field by field. The screening stage
still judges every record again: the gateway is a convenience, not the gatekeeper of record.
Reasons name fields and rules, never values: values are personal data.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from schemas import codec
from schemas.catalogue import catalogue
from schemas.errors import FieldProblem, InvalidRecord, UnknownEventType
from schemas.topics import ingest_topic_for_agency
from schemas.validation import validate_event
from streams.gateway.tokens import Agency

# Which identifier is an agency kind's own reference for a person (the ingest topics' key).
_OWN_REFERENCE: Final[dict[str, str]] = {
    "POLICE": "police_person_ref",
    "SCHOOL": "upn",
    "EARLY_YEARS": "upn",
    "HEALTH": "nhs_number",
    "SOCIAL_CARE": "la_child_id",
    "LOCAL_AUTHORITY": "la_child_id",
}
_IDENTIFIERS: Final = ("police_person_ref", "la_child_id", "upn", "nhs_number")


class Status(enum.IntEnum):
    """The answers the gateway gives to an event (besides 401, 413 and 503)."""

    ACCEPTED = 202
    BAD_REQUEST = 400
    FORBIDDEN = 403
    UNPROCESSABLE = 422


@dataclass(frozen=True, slots=True, kw_only=True)
class Admitted:
    """An event fit to produce: where, with which key, as which bytes."""

    event_id: str
    event_type: str
    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """Why not: a status, a stable error code, a sentence, and field problems for 422."""

    status: Status
    error: str
    message: str
    problems: tuple[FieldProblem, ...] = field(default=())
    event_type: str = ""


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"source": A, "source": B} would be read differently by different parsers downstream.
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateKey(name)
        result[name] = value
    return result


def _no_constants(_name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def parse_body(body: bytes) -> dict[str, Any] | Refused:
    """The JSON object in a request body, or why it is not one (400)."""
    try:
        obj = json.loads(body, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except _DuplicateKey:
        return Refused(
            status=Status.BAD_REQUEST,
            error="invalid_json",
            message="the body repeats a member name in one object",
        )
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return Refused(
            status=Status.BAD_REQUEST,
            error="invalid_json",
            message="the body is not valid JSON (UTF-8)",
        )
    if not isinstance(obj, dict):
        return Refused(
            status=Status.BAD_REQUEST,
            error="not_an_object",
            message="the body must be one JSON object: an event",
        )
    return obj


def ingest_key(agency_kind: str, record: dict[str, Any]) -> bytes:
    """The publisher's reference for the primary subject (``subjects[0]``): the agency kind's
    own identifier if present, else the first identifier present, else the event_id."""
    subjects = record.get("subjects") or []
    primary: dict[str, Any] = subjects[0] if subjects else {}
    own = _OWN_REFERENCE.get(agency_kind)
    for name in (own, *_IDENTIFIERS) if own else _IDENTIFIERS:
        value = primary.get(name)
        if value:
            return str(value).encode()
    return str(record["event_id"]).encode()


def _unprocessable(
    problems: list[FieldProblem] | tuple[FieldProblem, ...], event_type: str
) -> Refused:
    return Refused(
        status=Status.UNPROCESSABLE,
        error="invalid_event",
        message="the event does not meet its contract; see problems",
        problems=tuple(problems),
        event_type=event_type,
    )


def admit(agency: Agency, body: bytes, *, now: datetime) -> Admitted | Refused:
    """Decide on one request body from an authenticated agency."""
    obj = parse_body(body)
    if isinstance(obj, Refused):
        return obj
    event_type = obj.get("event_type")
    if isinstance(event_type, str) and not agency.may_send(event_type):
        known = catalogue().get(event_type) is not None
        if not known:
            return Refused(
                status=Status.BAD_REQUEST,
                error="unknown_event_type",
                message="event_type names no event in the hub's contracts (schemas/README.md)",
            )
        return Refused(
            status=Status.FORBIDDEN,
            error="event_type_not_permitted",
            message=f"a {agency.agency_kind} agency may not publish {event_type}",
            event_type=event_type,
        )
    try:
        record = codec.from_json(obj)
    except UnknownEventType:
        return Refused(
            status=Status.BAD_REQUEST,
            error="unknown_event_type",
            message="event_type names no event in the hub's contracts (schemas/README.md)",
        )
    except InvalidRecord as exc:
        return _unprocessable(exc.problems, event_type if isinstance(event_type, str) else "")
    assert isinstance(event_type, str)  # from_json accepted it
    source = record.get("source") or {}
    if (
        source.get("agency_kind") != agency.agency_kind
        or source.get("agency_id") != agency.agency_id
    ):
        return Refused(
            status=Status.FORBIDDEN,
            error="source_mismatch",
            message="source.agency_id and source.agency_kind must be those of the token's "
            "agency: an agency publishes only as itself",
            event_type=event_type,
        )
    problems = validate_event(event_type, record, now=now)
    if problems:
        return _unprocessable(problems, event_type)
    try:
        value = codec.encode(event_type, record)
    except InvalidRecord as exc:
        return _unprocessable(exc.problems, event_type)
    return Admitted(
        event_id=str(record["event_id"]),
        event_type=event_type,
        topic=ingest_topic_for_agency(agency.agency_kind),
        key=ingest_key(agency.agency_kind, record),
        value=value,
    )

"""Exceptions and field problems shared by the codec, the JSON form and validation.

Every message is a short reason naming at most a field path, a schema fingerprint or a
schema id: never payload content, because these reasons end up in logs, dead-letter
records and HTTP responses, and payloads carry personal data about children.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple


class FieldProblem(NamedTuple):
    """One thing wrong with one field: its path (e.g. ``children[0].date_of_birth``) and why."""

    field: str
    message: str


class CodecError(Exception):
    """Base of everything the codec raises; ``code`` labels metrics and dead letters."""

    code: ClassVar[str] = "codec_error"


class EncodeError(CodecError):
    """A record could not be encoded."""

    code = "encode_error"


class UnknownEventType(EncodeError):
    """The event type names no schema in the catalogue."""

    code = "unknown_event_type"


class UnreleasedSchema(EncodeError):
    """The current schema has no released version, so it has no Confluent schema id yet."""

    code = "unreleased_schema"


class InvalidRecord(EncodeError):
    """A record (or JSON object) does not match its schema; ``problems`` says where."""

    code = "invalid_record"

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = tuple(problems)
        fields = ", ".join(p.field or "(event)" for p in self.problems[:5])
        super().__init__(f"record does not match its schema at: {fields}")


class DecodeError(CodecError):
    """Bytes could not be decoded into an event."""

    code = "decode_error"


class MalformedPayload(DecodeError):
    """The framing or Avro body is broken (truncated, corrupt, trailing bytes, unknown magic)."""

    code = "malformed_payload"


class UnknownFingerprint(DecodeError):
    """A single-object header carries a fingerprint of no schema the catalogue knows."""

    code = "unknown_fingerprint"


class UnknownSchemaId(DecodeError):
    """A Confluent header carries a schema id absent from schemas/registry_ids.yaml."""

    code = "unknown_schema_id"

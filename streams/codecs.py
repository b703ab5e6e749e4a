"""Client adapters over `schemas.codec`, the one module that knows the wire format.

- faust: the codec registered as ``hub-avro`` (set ``value_serializer="hub-avro"`` on a topic);
  it loads bytes into ``Decoded(event_type, record)`` and dumps a record dict.
- kafka-python: ``AvroEventSerializer`` / ``AvroEventDeserializer`` for producers and consumers.
Both encode with the record's own ``event_type`` in the framing given (single-object by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.serializers import codecs
from kafka.serializer import Deserializer, Serializer

from schemas import codec
from schemas.codec import Decoded, Framing

CODEC_NAME = "hub-avro"


def _dumps(record: Mapping[str, Any], framing: Framing) -> bytes:
    event_type = record.get("event_type")
    if not isinstance(event_type, str):
        raise codec.InvalidRecord([codec.FieldProblem("event_type", "is required")])
    return codec.encode(event_type, record, framing=framing)


class FaustAvroCodec(codecs.Codec):
    """faust codec: Avro single-object encoding of the hub's event records."""

    def _dumps(self, obj: Any) -> bytes:
        return _dumps(obj, Framing.SINGLE_OBJECT)

    def _loads(self, s: bytes) -> Decoded:
        return codec.decode(s)


def register_faust_codec() -> None:
    """Make ``hub-avro`` available to faust topics (idempotent)."""
    codecs.register(CODEC_NAME, FaustAvroCodec())


class AvroEventSerializer(Serializer):  # type: ignore[misc]  # kafka-python has no type hints
    """kafka-python value serializer: a record dict -> framed Avro bytes."""

    def __init__(self, framing: Framing = Framing.SINGLE_OBJECT) -> None:
        self.framing = framing

    def serialize(self, topic: str, headers: Any, data: Any) -> bytes:
        return _dumps(data, self.framing)


class AvroEventDeserializer(Deserializer):  # type: ignore[misc]  # kafka-python has no type hints
    """kafka-python value deserializer: framed Avro bytes (either framing) -> Decoded."""

    def deserialize(self, topic: str, headers: Any, data: bytes) -> Decoded:
        return codec.decode(data)

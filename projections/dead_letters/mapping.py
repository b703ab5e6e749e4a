"""dead_letters: the on-call engineer's view of the dead-letter topic.

One row per dead-letter record, keyed by its own position: why it was rejected, where it came
from, and the original key and bytes untouched, so it can be replayed once the cause is fixed.
The headers are written by the hub itself (streams.agents.ingest); a missing or garbled header
becomes NULL rather than a lost row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from projections.model import SourceRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetterRow:
    """A row of dead_letters (projected_at is filled by the database)."""

    topic: str
    partition: int
    offset: int
    reason: str
    detail: str
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    dead_lettered_at: datetime | None
    original_key: bytes | None
    original_size: int
    original: bytes


def _text(record: SourceRecord, name: str) -> str | None:
    raw = record.header(name)
    if raw is None:
        return None
    return raw.decode("utf-8", errors="replace")


def _integer(record: SourceRecord, name: str) -> int | None:
    text = _text(record, name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _instant(record: SourceRecord, name: str) -> datetime | None:
    text = _text(record, name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # A naive stamp is not ours (we write UTC with an offset); read it as UTC rather than drop it.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rows(record: SourceRecord) -> Sequence[DeadLetterRow]:
    """The row for one dead-letter record."""
    original = record.value or b""
    return (
        DeadLetterRow(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=_text(record, "hub.reason") or "UNKNOWN",
            detail=_text(record, "hub.detail") or "",
            source_topic=_text(record, "hub.source.topic"),
            source_partition=_integer(record, "hub.source.partition"),
            source_offset=_integer(record, "hub.source.offset"),
            dead_lettered_at=_instant(record, "hub.dead_lettered_at"),
            original_key=record.key,
            original_size=len(original),
            original=original,
        ),
    )

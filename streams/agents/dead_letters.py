"""Dead letters for every agent: bad records are data, not crashes and never silent skips.

A dead letter keeps the original key and bytes untouched and says why and where from in
headers: ``hub.reason``, ``hub.detail`` (fields and rules, never values), ``hub.source.topic``
/ ``.partition`` / ``.offset`` of the record as first published, ``hub.dead_lettered_at``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Final

import faust

from schemas import codec, topics
from streams import metrics
from streams.logs import record_in_hand

log = logging.getLogger(__name__)

ORIGIN_HEADERS: Final = ("hub.source.topic", "hub.source.partition", "hub.source.offset")
SOURCE_KEY_HEADER: Final = "hub.source.key"
# The hub failed on the record itself: a bug to fix, then replay (ingest's Reason has the same).
PROCESSING_ERROR: Final = "processing_error"


def origin_headers(event: Any) -> list[tuple[str, bytes]]:
    """Where a record was first published: carried headers if an earlier hop added them."""
    carried = dict(event.headers or {})
    if all(name in carried for name in ORIGIN_HEADERS):
        return [(name, bytes(carried[name])) for name in ORIGIN_HEADERS]
    origin = event.message
    return [
        ("hub.source.topic", str(origin.topic).encode()),
        ("hub.source.partition", str(origin.partition).encode()),
        ("hub.source.offset", str(origin.offset).encode()),
    ]


def original_key(event: Any) -> bytes | None:
    """The publisher's key (a repartitioned record carries it in ``hub.source.key``)."""
    carried = dict(event.headers or {})
    if SOURCE_KEY_HEADER in carried:
        return bytes(carried[SOURCE_KEY_HEADER]) or None
    key: bytes | None = event.key
    return key


def framed_event_type(value: bytes | None) -> str:
    """The event type the record's framing names (a catalogue name, never content), else
    'unknown': a bounded label for the dead-letter counter."""
    try:
        return codec.peek_writer(value or b"").event_type
    except codec.DecodeError:
        return "unknown"


class DeadLetters:
    """The dead-letter topic of an app, and how to send a record there."""

    def __init__(self, app: faust.App) -> None:
        self.topic = app.topic(topics.DEAD_LETTER, key_serializer="raw", value_serializer="raw")

    async def send(self, event: Any, reason: str, detail: str) -> None:
        """The original key and bytes, untouched; why and where from in headers."""
        origin = origin_headers(event)
        metrics.EVENTS_DEAD_LETTERED.labels(
            origin[0][1].decode(), framed_event_type(event.value), reason
        ).inc()
        await self.topic.send(
            key=original_key(event),
            value=event.value,
            headers=[
                ("hub.reason", reason.encode()),
                ("hub.detail", detail.encode()),
                *origin,
                ("hub.dead_lettered_at", datetime.now(UTC).isoformat().encode()),
            ],
        )

    async def guarded(
        self, stream: faust.StreamT[bytes], handle: Callable[[Any], Awaitable[None]]
    ) -> None:
        """Run `handle` on every event; any failure dead-letters the event and moves on."""
        async for event in stream.events():
            record_in_hand(event.value)  # log lines written while handling it carry its event_id
            try:
                await handle(event)
            except Exception as exc:  # every failure becomes a dead letter, never a skip
                # The type names the bug; the message may quote content, so it stays out.
                log.exception("processing failed; record dead-lettered (%s)", type(exc).__name__)
                await self.send(event, PROCESSING_ERROR, f"{type(exc).__name__} in the hub")

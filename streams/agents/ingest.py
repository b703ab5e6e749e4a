"""Thin agents for the ingest stage: screen what agencies publish, then accept each event once.

Stage 1 (screen): ingest topics -> verdict (pure `screening.screen`) -> dead letter, or the
screened topic keyed by event_id. Stage 2 (accept): de-duplicate by event_id in a table of
digests (ids and hashes only) -> the accepted log, or a dead letter naming the duplicate.
A record the hub itself fails on is dead-lettered too: faust would otherwise restart the agent
past it, which is a silent drop.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import faust

from schemas import topics
from streams import metrics
from streams.ingest.screening import Accepted, Reason, screen

log = logging.getLogger(__name__)


_ORIGIN = ("hub.source.topic", "hub.source.partition", "hub.source.offset")


def _origin_headers(event: Any) -> list[tuple[str, bytes]]:
    """Where a record was first published. Stage 2 reads it from the headers stage 1 added."""
    carried = dict(event.headers or {})
    if all(name in carried for name in _ORIGIN):
        return [(name, bytes(carried[name])) for name in _ORIGIN]
    origin = event.message
    return [
        ("hub.source.topic", str(origin.topic).encode()),
        ("hub.source.partition", str(origin.partition).encode()),
        ("hub.source.offset", str(origin.offset).encode()),
    ]


def _original_key(event: Any) -> bytes | None:
    """The publisher's key (stage 2 records are keyed by event_id, the original rides along)."""
    carried = dict(event.headers or {})
    if "hub.source.key" in carried:
        return bytes(carried["hub.source.key"]) or None
    key: bytes | None = event.key
    return key


def register(app: faust.App) -> None:
    """Declare the ingest topics, table and agents on the app."""
    ingest = app.topic(
        *(topics.ingest_topic(kind) for kind in topics.INGEST_KINDS),
        key_serializer="raw",
        value_serializer="raw",
    )
    screened = app.topic(
        f"{app.conf.id}-screened",
        internal=True,
        partitions=topics.LOG_PARTITIONS,
        key_serializer="raw",
        value_serializer="raw",
    )
    accepted = app.topic(topics.ACCEPTED, key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(topics.DEAD_LETTER, key_serializer="raw", value_serializer="raw")
    # event_id -> sha256 of the accepted bytes: ids and digests only, never content.
    digests = app.Table(
        "accepted-digests",
        default=str,
        partitions=topics.LOG_PARTITIONS,
        key_type=str,
        value_type=str,
    )
    kind_of_topic = {topics.ingest_topic(kind): kind for kind in topics.INGEST_KINDS}

    async def dead_letter(event: Any, reason: Reason, detail: str) -> None:
        """The original key and bytes, untouched; why and where from in headers."""
        origin = _origin_headers(event)
        metrics.EVENTS_DEAD_LETTERED.labels(origin[0][1].decode(), reason.value).inc()
        await dead_letters.send(
            key=_original_key(event),
            value=event.value,
            headers=[
                ("hub.reason", reason.value.encode()),
                ("hub.detail", detail.encode()),
                *origin,
                ("hub.dead_lettered_at", datetime.now(UTC).isoformat().encode()),
            ],
        )

    async def screen_one(event: Any) -> None:
        origin = event.message
        verdict = screen(
            event.value, now=datetime.now(UTC), ingest_kind=kind_of_topic.get(origin.topic)
        )
        if not isinstance(verdict, Accepted):
            await dead_letter(event, verdict.reason, verdict.detail)
            return
        # Repartition by event_id so one worker sees every copy of an event.
        await screened.send(
            key=verdict.event_id.encode(),
            value=event.value,
            headers=[
                *_origin_headers(event),
                ("hub.source.key", event.key or b""),
                ("hub.event_type", verdict.event_type.encode()),
                ("hub.agency_kind", verdict.agency_kind.encode()),
            ],
        )

    async def accept_one(event: Any) -> None:
        event_id = (event.key or b"").decode()
        digest = hashlib.sha256(event.value).hexdigest()
        seen = digests[event_id]
        if seen == digest:
            await dead_letter(
                event,
                Reason.DUPLICATE,
                "the event_id was already accepted with these bytes (a redelivery)",
            )
            return
        if seen:
            await dead_letter(
                event,
                Reason.CONFLICTING_DUPLICATE,
                "the event_id was already accepted with different content",
            )
            return
        await accepted.send(key=event.key, value=event.value)
        digests[event_id] = digest
        metrics.EVENTS_ACCEPTED.labels(
            _header(event, "hub.agency_kind"), _header(event, "hub.event_type")
        ).inc()

    async def guarded(stream: faust.StreamT[bytes], handle: Any) -> None:
        async for event in stream.events():
            try:
                await handle(event)
            except Exception as exc:  # every failure becomes a dead letter, never a skip
                # The type names the bug; the message may quote content, so it stays out.
                log.exception("processing failed; record dead-lettered (%s)", type(exc).__name__)
                await dead_letter(
                    event, Reason.PROCESSING_ERROR, f"{type(exc).__name__} in the hub"
                )

    @app.agent(ingest, name="screen-ingest")
    async def screen_ingest(stream: faust.StreamT[bytes]) -> None:
        await guarded(stream, screen_one)

    @app.agent(screened, name="accept-once")
    async def accept_once(stream: faust.StreamT[bytes]) -> None:
        await guarded(stream, accept_one)


def _header(event: Any, name: str) -> str:
    value = dict(event.headers or {}).get(name, b"")
    return bytes(value).decode()

"""Thin agents for the ingest stage: screen what agencies publish, then accept each event once.

Stage 1 (screen): ingest topics -> verdict (pure `screening.screen`) -> dead letter, or the
record with its personal fields sealed under its subjects' keys (`streams.erasure`, docs/ERASURE.md)
and re-encoded, to the screened topic keyed by event_id. Nothing after this step sees plaintext. Stage 2 (accept): de-duplicate by event_id in a table of
digests (ids and hashes only) -> the accepted log, or a dead letter naming the duplicate.
A record the hub itself fails on is dead-lettered too: faust would otherwise restart the agent
past it, which is a silent drop.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import faust

from schemas import codec, topics
from streams import metrics
from streams.agents.dead_letters import SOURCE_KEY_HEADER, DeadLetters, origin_headers
from streams.erasure.keyring import Keyring
from streams.erasure.sealing import seal_event
from streams.ingest.screening import Accepted, Reason, screen

# On the internal screened topic only: the source's recorded_at (epoch seconds), for the
# recorded-to-accepted latency histogram.
RECORDED_AT_HEADER = "hub.recorded_at"


def register(
    app: faust.App, *, keyring: Keyring | None = None, id_secret: bytes | None = None
) -> None:
    """Declare the ingest topics, table and agents on the app.

    `keyring` / `id_secret`: the key store's keyring and the key-id secret (default: from the
    environment, built at the first record, so declaring the app does no I/O).
    """
    sealing: dict[str, Any] = {"keyring": keyring, "secret": id_secret}

    def sealed(event_type: str, record: dict[str, Any], source_key: bytes) -> tuple[bytes, bytes]:
        if sealing["keyring"] is None:
            from streams.keystore import process_keyring

            sealing["keyring"] = process_keyring()
        if sealing["secret"] is None:
            from streams.keystore import id_secret as secret_from_env

            sealing["secret"] = secret_from_env()
        record, sealed_key = seal_event(
            event_type,
            record,
            keyring=sealing["keyring"],
            secret=sealing["secret"],
            source_key=source_key,
        )
        return codec.encode(event_type, record), sealed_key or b""

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
    dead_letters = DeadLetters(app)
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
        await dead_letters.send(event, reason.value, detail)

    async def screen_one(event: Any) -> None:
        origin = event.message
        verdict = screen(
            event.value, now=datetime.now(UTC), ingest_kind=kind_of_topic.get(origin.topic)
        )
        if not isinstance(verdict, Accepted):
            await dead_letter(event, verdict.reason, verdict.detail)
            return
        value, source_key = sealed(verdict.event_type, verdict.record, event.key or b"")
        # Repartition by event_id so one worker sees every copy of an event.
        await screened.send(
            key=verdict.event_id.encode(),
            value=value,
            headers=[
                *origin_headers(event),
                (SOURCE_KEY_HEADER, source_key),  # sealed: a publisher's key names a person
                ("hub.event_type", verdict.event_type.encode()),
                ("hub.agency_kind", verdict.agency_kind.encode()),
                (RECORDED_AT_HEADER, str(verdict.record["recorded_at"].timestamp()).encode()),
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
        recorded_at = _header(event, RECORDED_AT_HEADER)
        if recorded_at:  # the source's clock may run ahead of ours: never a negative latency
            lag = datetime.now(UTC).timestamp() - float(recorded_at)
            metrics.INGEST_LAG_SECONDS.observe(max(0.0, lag))

    @app.agent(ingest, name="screen-ingest")
    async def screen_ingest(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, screen_one)

    @app.agent(screened, name="accept-once")
    async def accept_once(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, accept_one)


def _header(event: Any, name: str) -> str:
    value = dict(event.headers or {}).get(name, b"")
    return bytes(value).decode()

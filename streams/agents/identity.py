"""Thin agents for the identity stage: which child each accepted event is about.

Stage 1 (route): the accepted log (4 partitions) -> ``<app id>-identity-input``, one partition,
bytes unchanged, so every event is resolved in one order and every table key is local.
Stage 2 (resolve): decode -> ``streams.identity.stage.place_event`` over the index tables ->
index writes, the derived events to hub.log.identity.v1 (keyed by child id) and one spine
message per child subject (see ``streams.spine``). Each placement is kept by event_id, so a
redelivered event gets the same outputs again and changes nothing. Any failure is a dead letter.

The index tables hold ids and keyed hashes only (HMAC-SHA256 under HUB_IDENTITY_KEY), since their
changelog topics are a second copy. The key must stay the same for the life of the log: a new
key makes every hash new and the index forgets every child.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any, Final

import faust

from schemas import codec, topics
from streams import metrics, spine
from streams.agents.dead_letters import SOURCE_KEY_HEADER, DeadLetters, origin_headers
from streams.identity.index import IdentityDecisionRejected
from streams.identity.stage import Placement, derived_events, place_event
from streams.identity.state import NO_CHANGES, match_rate
from streams.identity.tables import TABLE_NAMES, IndexTables, write_changes
from streams.keystore import reveal_for_identity_stage
from streams.settings import read_identity_key

log = logging.getLogger(__name__)

IDENTITY_KEY_ENV: Final = "HUB_IDENTITY_KEY"
# DEVELOPMENT ONLY: the local stack's and the tests' key, for synthetic people. Every real
# deployment sets HUB_IDENTITY_KEY to its own secret (32+ random bytes) and never changes it.
DEV_ONLY_IDENTITY_KEY: Final = b"hub local stack DEV ONLY identity key - synthetic data only"
# Why a decision is dead-lettered: it names an unknown child id or a link that does not exist.
REJECTED_DECISION: Final = "identity_decision_rejected"


def identity_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key for the index's hashes: HUB_IDENTITY_KEY, else the development key."""
    value = read_identity_key(os.environ if environ is None else environ)
    if not value:
        log.warning("%s is not set: using the DEVELOPMENT-ONLY identity key", IDENTITY_KEY_ENV)
        return DEV_ONLY_IDENTITY_KEY
    return value.encode()


def register(app: faust.App, *, key: bytes | None = None) -> None:
    """Declare the identity stage's topics, tables and agents on the app."""
    secret = key if key is not None else identity_key()
    app_id = str(app.conf.id)
    accepted = app.topic(topics.ACCEPTED, key_serializer="raw", value_serializer="raw")
    identity_input = app.topic(
        spine.identity_input_topic(app_id),
        internal=True,
        partitions=1,
        key_serializer="raw",
        value_serializer="raw",
    )
    by_child = app.topic(
        spine.by_child_topic(app_id),
        internal=True,
        partitions=spine.BY_CHILD_PARTITIONS,
        config={"retention.ms": str(topics.FOREVER)},  # later stages rebuild from it
        key_serializer="raw",
        value_serializer="raw",
    )
    identity_log = app.topic(topics.IDENTITY, key_serializer="raw", value_serializer="raw")
    dead_letters = DeadLetters(app)
    # partitions=1: co-partitioned with identity_input, so the whole index is on one worker.
    index = IndexTables.of(
        {
            name: app.Table(f"identity-{name}", partitions=1, key_type=str, help=f"index {name}")
            for name in TABLE_NAMES
        }
    )
    # event_id -> Placement.to_json(): ids, rules and reason codes.
    placements = app.Table("identity-placements", partitions=1, key_type=str)

    async def route_one(event: Any) -> None:
        await identity_input.send(
            key=event.key,
            value=event.value,
            headers=[*origin_headers(event), (SOURCE_KEY_HEADER, event.key or b"")],
        )

    async def resolve_one(event: Any) -> None:
        # Erasure (streams/keystore.py): the index hashes plaintext; the log carries sealed fields.
        record = reveal_for_identity_stage(codec.decode(event.value).record)
        event_id = str(record["event_id"])
        stored = placements.get(event_id)
        if stored is None:
            try:
                changes, placement = place_event(index, record, key=secret)
            except IdentityDecisionRejected as exc:  # names ids and the rule, never content
                await dead_letters.send(event, REJECTED_DECISION, str(exc))
                return
        else:  # a redelivery: the same outputs again, no new writes
            changes, placement = NO_CHANGES, Placement.from_json(stored, record)
        # Encode everything before writing anything, so a bad output leaves the index untouched.
        derived = [
            (d.key.encode(), codec.encode(d.event_type, d.record))
            for d in derived_events(record, placement)
        ]
        if stored is None:
            write_changes(index, changes)
            placements[event_id] = placement.to_json()
            for placed in placement.subjects:
                metrics.IDENTITY_RESOLUTIONS.labels(placed.rule).inc()
            metrics.IDENTITY_REVIEWS_REQUESTED.inc(len(placement.reviews))
            metrics.IDENTITY_MATCH_RATE.set(match_rate(index))
        for derived_key, value in derived:
            await identity_log.send(key=derived_key, value=value)
        subject_records = placement.subject_records
        for placed in placement.subjects:
            await by_child.send(
                key=placed.record_id.encode(),
                value=event.value,
                headers=spine.spine_headers(
                    event_id=event_id,
                    event_type=str(record["event_type"]),
                    record_id=placed.record_id,
                    child_id=placed.child_id,
                    subject_index=placed.subject_index,
                    subject_records=subject_records,
                ),
            )

    @app.agent(accepted, name="identity-route")
    async def identity_route(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, route_one)

    @app.agent(identity_input, name="identity-resolve")
    async def identity_resolve(stream: faust.StreamT[bytes]) -> None:
        # faust declares only the topics agents read: the spine is written here, read elsewhere.
        await by_child.maybe_declare()
        await dead_letters.guarded(stream, resolve_one)

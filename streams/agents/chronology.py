"""Thin agent for the chronology stage: each child record's chronology, on the spine.

Reads the by-child spine (``streams.spine``: one message per child subject, keyed by record id),
turns the accepted event into a chronology event (``streams.chronology.from_records``), places it
among the record's earlier events (``streams.chronology.placement``) and sends one
ChronologyUpdated to hub.log.chronology.v1 keyed by record id: the log of record for the
chronology, which the chronology_entries projection reads.

The table ``chronology-records`` holds, per record id, the events' ids and order keys only
(recorded_at, occurred_at, police reference, the event an amendment names); content lives in
the logs. A redelivered message finds its event already in the table and sends its record again
(same event id, the entry's structure as it stands now), so the log converges whatever the
crash point. Any failure is a dead letter.
"""

from __future__ import annotations

from typing import Any

import faust

from schemas import codec, topics
from streams import metrics, spine
from streams.agents.dead_letters import DeadLetters
from streams.chronology.from_records import to_chronology_event
from streams.chronology.log_record import EVENT_TYPE, chronology_updated
from streams.chronology.placement import place


def register(app: faust.App) -> None:
    """Declare the chronology stage's topics, table and agent on the app."""
    by_child = app.topic(
        spine.by_child_topic(str(app.conf.id)),
        internal=True,
        partitions=spine.BY_CHILD_PARTITIONS,
        config={"retention.ms": str(topics.FOREVER)},  # as the identity stage declares it
        key_serializer="raw",
        value_serializer="raw",
    )
    chronology_log = app.topic(topics.CHRONOLOGY, key_serializer="raw", value_serializer="raw")
    dead_letters = DeadLetters(app)
    # record id -> [Skeleton.to_json(), ...]: ids and order keys, co-partitioned with the spine.
    records = app.Table(
        "chronology-records",
        partitions=spine.BY_CHILD_PARTITIONS,
        key_type=str,
        help="per child record: chronology event ids and order keys",
    )

    async def place_one(event: Any) -> None:
        headers = spine.read_spine_headers(event.headers or {})
        decoded = codec.decode(event.value)
        chronology_event = to_chronology_event(
            decoded.event_type,
            decoded.record,
            record_id=headers.record_id,
            subject_index=headers.subject_index,
        )
        if chronology_event is None:  # not an entry (PersonRegistered)
            return
        state, placement = place(
            headers.record_id, records.get(headers.record_id) or [], chronology_event
        )
        # Encode before writing, so a bad output leaves the table untouched.
        value = codec.encode(
            EVENT_TYPE,
            chronology_updated(
                decoded.event_type,
                decoded.record,
                record_id=headers.record_id,
                child_id=headers.child_id,
                subject_index=headers.subject_index,
                placement=placement,
            ),
        )
        if placement.new:
            records[headers.record_id] = state
            metrics.CHRONOLOGY_ENTRIES.labels(decoded.event_type).inc()
        await chronology_log.send(key=headers.record_id.encode(), value=value)

    @app.agent(by_child, name="chronology-place")
    async def chronology_place(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, place_one)

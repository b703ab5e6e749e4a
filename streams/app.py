"""The faust app factory: the composition root of the stream workers. No I/O at import time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

import faust

from streams.settings import Settings

# How the worker consumes, commits and produces (the bench's faust floor runs with the same).
PROCESSING: Final[dict[str, Any]] = {
    # exactly_once swallows transaction errors and duplicates on rebalance (faust #517, #323,
    # #177): at-least-once with effects keyed by event_id instead.
    "processing_guarantee": "at_least_once",
    "topic_partitions": 4,  # = schemas.topics.LOG_PARTITIONS, so tables co-partition
    # The built-in web server shares the agents' loop and serves tables unauthenticated.
    "web_enabled": False,
    "broker_max_poll_records": 500,  # mitigates the "commit offset not advancing" livelock
    "consumer_auto_offset_reset": "earliest",
    "broker_commit_every": 1000,
    "broker_commit_interval": timedelta(seconds=1),
    "producer_acks": -1,
    "producer_linger": 0.005,
}


def create_app(settings: Settings) -> faust.App:
    """A faust app configured for at-least-once processing with idempotent effects."""
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=settings.faust_credentials(),  # SASL/SCRAM in compose, else None
        store=settings.table_store,
        autodiscover=False,
        table_standby_replicas=0,
        web_bind="127.0.0.1",
        **PROCESSING,
    )
    from streams import consumer_lag
    from streams.agents import chronology as chronology_stage
    from streams.agents import encompass as encompass_stage
    from streams.agents import identity, ingest, sharing
    from streams.agents import referrals as referrals_stage
    from streams.codecs import register_faust_codec

    register_faust_codec()
    ingest.register(app)
    encompass_stage.register(app)
    sharing.register(app)
    chronology_stage.register(app)
    referrals_stage.register(app)
    identity.register(app, key=settings.identity_key)
    consumer_lag.register(app, settings)
    return app

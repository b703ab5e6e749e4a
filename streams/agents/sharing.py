"""Thin agent for the sharing stage: who may see each event on the spine, and why not.

The spine (``<app id>-by-child``, keyed by record id) -> decode -> ``streams.policy.stage.process``
over the child's state -> Shared / VisibilityRevoked to hub.log.shares.v1 (keyed by recipient
id), ShareRefused / NonDisclosureRecorded to hub.log.audit.v1 (keyed by record id). Before the
first decision under an agreement whose content hash the stage has not recorded, a
PolicyAdopted goes to hub.log.policy.v1, so every decision names a policy on the log.

Tables (ids and states only; changelogs are a second copy):
- ``sharing-children``: record id -> the child's consent, status, relationships, ids of its
  consent-based shares and the inputs of its recent decisions (JSON, see streams.policy.stage_json);
- ``sharing-policies``: content hash -> version of every agreement adopted;
- ``sharing-deliveries``: "<record id>/<event id>" -> who received the event, at which level, on
  which basis and rule (ids only), so a correction or retraction of it follows it. Written on the
  spine partition of the record, as the correction that reads it arrives on.
Any failure is a dead letter. Env: HUB_SHARING_AGREEMENT (a path; default: the shipped one).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import faust

from schemas import codec, topics
from streams import metrics, spine
from streams.agents.dead_letters import DeadLetters
from streams.policy import (
    Agreement,
    NonDisclosure,
    Refusal,
    Share,
    follows_event_id,
    load_agreement,
)
from streams.policy.agreement import load_default_agreement
from streams.policy.relationships import Area
from streams.policy.stage import (
    Destination,
    policy_adopted,
    process,
)
from streams.policy.stage_json import (
    deliveries_from_json,
    deliveries_to_json,
    state_from_json,
    state_to_json,
)

log = logging.getLogger(__name__)

AGREEMENT_ENV: Final = "HUB_SHARING_AGREEMENT"
# Who put the agreement in force: the worker, on the DPO's approval recorded with the file.
ADOPTED_BY: Final = "hub-sharing-stage"


def agreement_in_force(environ: Mapping[str, str] | None = None) -> Agreement:
    """The agreement at HUB_SHARING_AGREEMENT, else the shipped default (validated on load)."""
    path = (os.environ if environ is None else environ).get(AGREEMENT_ENV, "")
    return load_agreement(Path(path)) if path else load_default_agreement()


def register(
    app: faust.App, *, agreement: Agreement | None = None, area: Area | None = None
) -> None:
    """Declare the sharing stage's topics, tables and agent on the app."""
    policy = agreement if agreement is not None else agreement_in_force()
    duty = area if area is not None else Area()
    by_child = app.topic(
        spine.by_child_topic(str(app.conf.id)),
        internal=True,
        partitions=spine.BY_CHILD_PARTITIONS,
        config={"retention.ms": str(topics.FOREVER)},
        key_serializer="raw",
        value_serializer="raw",
    )
    out = {
        Destination.SHARES: app.topic(topics.SHARES, key_serializer="raw", value_serializer="raw"),
        Destination.AUDIT: app.topic(topics.AUDIT, key_serializer="raw", value_serializer="raw"),
        Destination.POLICY: app.topic(topics.POLICY, key_serializer="raw", value_serializer="raw"),
    }
    dead_letters = DeadLetters(app)
    children = app.Table(
        "sharing-children", partitions=spine.BY_CHILD_PARTITIONS, key_type=str, value_type=str
    )
    policies = app.Table(
        "sharing-policies", partitions=spine.BY_CHILD_PARTITIONS, key_type=str, value_type=str
    )
    deliveries = app.Table(
        "sharing-deliveries", partitions=spine.BY_CHILD_PARTITIONS, key_type=str, value_type=str
    )

    async def decide_one(event: Any) -> None:
        headers = spine.read_spine_headers(event.headers or {})
        record = codec.decode(event.value).record
        now = datetime.now(UTC)
        follows = follows_event_id(record)
        original = (
            deliveries_from_json(deliveries.get(f"{headers.record_id}/{follows}"))
            if follows is not None
            else ()
        )
        step = process(
            state_from_json(children.get(headers.record_id)),
            record,
            record_id=headers.record_id,
            agreement=policy,
            area=duty,
            now=now,
            original=original,
        )
        # Encode everything before sending or writing anything: a bad output changes nothing.
        encoded = [
            (o.destination, o.key.encode(), codec.encode(o.event_type, o.record))
            for o in step.outputs
        ]
        if policies.get(policy.content_hash) is None:
            adopted = policy_adopted(policy, now=now, adopted_by=ADOPTED_BY)
            await out[Destination.POLICY].send(
                key=adopted.key.encode(), value=codec.encode(adopted.event_type, adopted.record)
            )
            policies[policy.content_hash] = policy.version
        for destination, key, value in encoded:
            await out[destination].send(key=key, value=value)
        if not step.replay:
            # Deliveries before the state: a crash between them replays the event as new.
            if step.delivered:
                delivered_key = f"{headers.record_id}/{record['event_id']}"
                deliveries[delivered_key] = deliveries_to_json(step.delivered)
            children[headers.record_id] = state_to_json(step.state)
            for decision in step.decisions:
                if isinstance(decision, Share):
                    outcome, basis = "shared", decision.basis.value
                elif isinstance(decision, Refusal):
                    outcome, basis = "refused", "none"
                elif isinstance(decision, NonDisclosure):
                    outcome, basis = "non_disclosure", decision.basis.value
                metrics.SHARING_DECISIONS.labels(outcome, basis).inc()

    @app.agent(by_child, name="sharing-decide")
    async def sharing_decide(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, decide_one)

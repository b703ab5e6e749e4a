"""The faust app's own topics (internal spines and table changelogs), created before it starts.

faust declares these itself, but its consumer may subscribe first: on a fresh cluster aiokafka
then logs "Ignoring missing topic" and consumes nothing from it until its metadata next refreshes
(minutes). Creating them up front closes that start-up race.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import faust
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError


@dataclass(frozen=True, slots=True)
class InternalTopic:
    """A topic the app declares itself: its name, partitions and creation configs."""

    name: str
    partitions: int
    configs: Mapping[str, str] = field(default_factory=dict)


def internal_topics(app: faust.App) -> list[InternalTopic]:
    """Every internal topic the app's agents consume and its tables write, as faust would make it."""
    channels: list[Any] = [agent.channel for agent in app.agents.values()]
    channels += [table.changelog_topic for table in app.tables.values()]
    found: dict[str, InternalTopic] = {}
    for channel in channels:
        if not getattr(channel, "internal", False):
            continue
        configs = _cleanup(channel.compacting, channel.deleting)
        if channel.retention is not None:
            configs["retention.ms"] = str(int(channel.retention.total_seconds() * 1000))
        configs.update({k: str(v) for k, v in (channel.config or {}).items()})
        partitions = channel.partitions or int(app.conf.topic_partitions)
        for name in channel.topics:
            found[name] = InternalTopic(name, partitions, configs)
    return sorted(found.values(), key=lambda t: t.name)


def consumed_topics(app: faust.App) -> list[str]:
    """Every topic the app's agents read (shared and internal): what its group's lag covers."""
    return sorted({name for agent in app.agents.values() for name in agent.channel.topics})


def _cleanup(compacting: bool | None, deleting: bool | None) -> dict[str, str]:
    policies = [p for p, on in (("compact", compacting), ("delete", deleting)) if on]
    return {"cleanup.policy": ",".join(policies)} if policies else {}


def create_missing(
    bootstrap: str,
    topics: Iterable[InternalTopic],
    client_options: Mapping[str, Any] | None = None,
    *,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create the topics that do not exist yet and wait until the broker lists them all.

    Existing topics are left as they are: the worker may create, not reconfigure.
    """
    wanted = list(topics)
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="hub-worker-topics", **(client_options or {})
    )
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            # Another worker may create one between our listing and our create.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(t.name, t.partitions, 1, topic_configs=dict(t.configs))
                        for t in missing
                    ]
                )
        deadline = time.monotonic() + timeout_s
        while absent := {t.name for t in wanted} - set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"internal topics not listed by the broker: {sorted(absent)}")
            time.sleep(0.2)
    finally:
        admin.close()
    return [t.name for t in missing]

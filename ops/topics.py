"""Apply the declared topic list to a broker, idempotently, with kafka-python's admin client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas.topics import TOPICS, TopicSpec


@dataclass(slots=True)
class TopicChanges:
    """What an apply did, so a second run can show it did nothing."""

    created: list[str] = field(default_factory=list)
    widened: list[str] = field(default_factory=list)
    reconfigured: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.widened or self.reconfigured)


def apply_topics(bootstrap: str, topics: Iterable[TopicSpec] = TOPICS) -> TopicChanges:
    """Create missing topics, add partitions where fewer exist, and correct drifted configs.

    Partitions are never reduced (Kafka cannot) and topics are never deleted here.
    """
    specs = list(topics)
    changes = TopicChanges()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hub-topics")
    try:
        names = [n for n in admin.list_topics() if n in {s.name for s in specs}]
        described_topics = admin.describe_topics(names) if names else []
        existing = {t["name"]: len(t["partitions"]) for t in described_topics}
        missing = [s for s in specs if s.name not in existing]
        if missing:
            # Another process may declare one between our describe and our create.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(s.name, s.partitions, 1, topic_configs=s.configs) for s in missing]
                )
            changes.created = [s.name for s in missing]
        widen = {
            s.name: NewPartitions(s.partitions)
            for s in specs
            if s.name in existing and existing[s.name] < s.partitions
        }
        if widen:
            admin.create_partitions(widen)
            changes.widened = sorted(widen)
        present = [s for s in specs if s.name in existing]
        if present:
            described = admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, s.name) for s in present]
            )
            current = _configs_by_topic(described)
            drifted = [
                s
                for s in present
                if any(current.get(s.name, {}).get(k) != v for k, v in s.configs.items())
            ]
            if drifted:
                admin.alter_configs(
                    [
                        ConfigResource(ConfigResourceType.TOPIC, s.name, configs=s.configs)
                        for s in drifted
                    ]
                )
                changes.reconfigured = [s.name for s in drifted]
    finally:
        admin.close()
    return changes


def _configs_by_topic(
    described: dict[str, dict[str, dict[str, dict[str, object]]]],
) -> dict[str, dict[str, str]]:
    """Flatten kafka-python 3's describe_configs answer into {topic: {key: value}}."""
    return {
        name: {key: str(entry.get("value")) for key, entry in entries.items()}
        for name, entries in described.get("topic", {}).items()
    }

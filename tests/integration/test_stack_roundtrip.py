"""The foundation against the real broker and database: nothing here is mocked."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from ops.migrations import apply_migrations
from ops.topics import apply_topics
from schemas.topics import TOPICS
from streams.internal_topics import InternalTopic, create_missing
from tests.conftest import Stack

pytestmark = pytest.mark.integration


def test_kafka_python_produces_and_aiokafka_consumes_the_same_records(
    stack: Stack, unique_name: str
) -> None:
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    try:
        admin.create_topics([NewTopic(unique_name, 2, 1)])
    finally:
        admin.close()
    sent = [(f"key-{i}".encode(), f"value-{i}".encode()) for i in range(50)]
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    for key, value in sent:
        producer.send(unique_name, key=key, value=value)
    producer.flush()
    producer.close()

    async def consume() -> list[tuple[bytes, bytes]]:
        consumer = AIOKafkaConsumer(
            unique_name,
            bootstrap_servers=stack.bootstrap,
            group_id=unique_name,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        got: list[tuple[bytes, bytes]] = []
        try:
            async with asyncio.timeout(30):
                while len(got) < len(sent):
                    batch = await consumer.getmany(timeout_ms=1000)
                    for records in batch.values():
                        got.extend((r.key, r.value) for r in records)
        finally:
            await consumer.stop()
        return got

    received = asyncio.run(consume())
    assert sorted(received) == sorted(sent)


def test_declared_topics_exist_with_their_partitions_and_retention(stack: Stack) -> None:
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    try:
        described = {t["name"]: t for t in admin.describe_topics([s.name for s in TOPICS])}
    finally:
        admin.close()
    for spec in TOPICS:
        assert len(described[spec.name]["partitions"]) == spec.partitions, spec.name
    assert not apply_topics(stack.bootstrap).changed, "a second apply must change nothing"


def test_the_worker_creates_its_missing_internal_topics_before_subscribing(
    stack: Stack, unique_name: str
) -> None:
    wanted = [
        InternalTopic(f"{unique_name}-screened", 4),
        InternalTopic(f"{unique_name}-t-changelog", 2, {"cleanup.policy": "compact"}),
    ]
    assert create_missing(stack.bootstrap, wanted) == [t.name for t in wanted]
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    try:
        described = {t["name"]: t for t in admin.describe_topics([t.name for t in wanted])}
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, f"{unique_name}-t-changelog")]
        )
    finally:
        admin.close()
    assert [len(described[t.name]["partitions"]) for t in wanted] == [4, 2]
    assert configs["topic"][f"{unique_name}-t-changelog"]["cleanup.policy"]["value"] == "compact"
    assert create_missing(stack.bootstrap, wanted) == [], "existing topics are left alone"


def test_migrations_are_applied_once_and_recorded(stack: Stack) -> None:
    assert apply_migrations(stack.dsn) == [], "the session fixture already applied every migration"
    with psycopg.connect(stack.dsn) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions[0] == 1
        conn.execute(
            "INSERT INTO projection_positions (projection, topic, partition, next_offset) "
            "VALUES ('probe', 'hub.log.accepted.v1', 0, 42)"
        )
        row = conn.execute(
            "SELECT next_offset FROM projection_positions WHERE projection = 'probe'"
        ).fetchone()
        assert row == (42,)
        conn.rollback()

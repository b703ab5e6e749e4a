"""The Kafka adapter: durable producer settings, and a clear 503 when no broker answers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ops.paths import free_port
from streams.gateway.settings import KafkaClientSettings
from streams.gateway.sink import KafkaSink, SinkUnavailable, producer_options


def test_the_producer_waits_for_every_in_sync_replica_and_is_idempotent() -> None:
    options = producer_options(KafkaClientSettings(bootstrap="127.0.0.1:9092"))
    assert options["acks"] == "all"
    assert options["enable_idempotence"] is True
    assert options["security_protocol"] == "PLAINTEXT"
    assert "sasl_plain_password" not in options


def test_sasl_credentials_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret-from-a-file\n")
    options = producer_options(
        KafkaClientSettings(
            bootstrap="kafka:9092",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            username="hub-gateway",
            password_file=secret,
        )
    )
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "hub-gateway"
    assert options["sasl_plain_password"] == "s3cret-from-a-file"


def test_no_broker_means_sink_unavailable_not_a_crash() -> None:
    async def scenario() -> None:
        sink = KafkaSink(
            KafkaClientSettings(bootstrap=f"127.0.0.1:{free_port()}", send_timeout_s=5)
        )
        try:
            await sink.start()  # logs and carries on: the gateway outlives the broker
            assert not sink.connected
            with pytest.raises(SinkUnavailable, match="cannot connect to Kafka"):
                await sink.send("hub.ingest.police.v1", key=b"k", value=b"v")
            assert not sink.connected
        finally:
            await sink.close()

    asyncio.run(scenario())

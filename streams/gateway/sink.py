"""Where admitted events go: the port (``EventSink``) and its Kafka adapter.

The adapter produces with acks=all and idempotence, so a 202 means the broker's in-sync
replicas hold the record. When the broker cannot be reached it raises ``SinkUnavailable`` and
the gateway answers 503: the client retries with the same event_id, and the stream's
de-duplication by event_id absorbs a record that did arrive after all.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.gateway.settings import KafkaClientSettings

log = logging.getLogger(__name__)


class SinkUnavailable(Exception):
    """The event could not be handed to the broker; nothing is known to have been written."""


class EventSink(Protocol):
    """The small interface the HTTP handler needs (a fake implements it in unit tests)."""

    async def send(self, topic: str, *, key: bytes, value: bytes) -> None:
        """Write one record durably, or raise SinkUnavailable."""
        ...

    @property
    def connected(self) -> bool:
        """Whether the last attempt to reach the broker succeeded (for /healthz)."""
        ...


def producer_options(settings: KafkaClientSettings) -> dict[str, Any]:
    """aiokafka producer keyword arguments: durability, and SASL when configured."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap,
        "client_id": "hub-gateway",
        "acks": "all",
        "enable_idempotence": True,
        "request_timeout_ms": int(settings.send_timeout_s * 1000),
        "security_protocol": settings.security_protocol,
    }
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.username
        if settings.password_file is not None:
            options["sasl_plain_password"] = settings.password_file.read_text().strip()
    if settings.security_protocol.endswith("SSL"):
        options["ssl_context"] = ssl.create_default_context()
    return options


class KafkaSink:
    """An idempotent aiokafka producer, (re)started lazily so the gateway outlives the broker."""

    def __init__(self, settings: KafkaClientSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self) -> None:
        """Connect now if the broker is there; if not, the first send tries again."""
        try:
            await self._ensure_producer()
        except SinkUnavailable:
            log.warning("Kafka is not reachable yet; requests get 503 until it is")

    async def _ensure_producer(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is not None:
                return self._producer
            producer = AIOKafkaProducer(**producer_options(self._settings))
            try:
                await asyncio.wait_for(producer.start(), self._settings.send_timeout_s)
            except (KafkaError, OSError, TimeoutError) as exc:
                await producer.stop()  # a failed start still holds sockets and tasks
                self._connected = False
                raise SinkUnavailable(f"cannot connect to Kafka ({type(exc).__name__})") from None
            self._producer = producer
            self._connected = True
            return producer

    async def send(self, topic: str, *, key: bytes, value: bytes) -> None:
        producer = await self._ensure_producer()
        try:
            await asyncio.wait_for(
                producer.send_and_wait(topic, value=value, key=key),
                self._settings.send_timeout_s,
            )
        except (KafkaError, OSError, TimeoutError) as exc:
            self._connected = False
            raise SinkUnavailable(f"Kafka did not acknowledge ({type(exc).__name__})") from None
        self._connected = True

    async def close(self) -> None:
        """Flush what is in flight and disconnect."""
        async with self._starting:
            producer, self._producer = self._producer, None
            if producer is not None:
                await producer.stop()

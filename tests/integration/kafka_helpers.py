"""Small helpers the integration tests share for reading topics on the real broker."""

from __future__ import annotations

import time
from collections.abc import Callable

from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord


def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord]], bool],
    *,
    keep: Callable[[ConsumerRecord], bool] = lambda _r: True,
    timeout_s: float = 60.0,
) -> list[ConsumerRecord]:
    """Read a topic from the beginning (no group) until `done` holds for the kept records."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=500,
    )
    kept: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for record in consumer:
                if keep(record):
                    kept.append(record)
            if done(kept):
                return kept
        raise AssertionError(
            f"{topic}: condition not met in {timeout_s}s; kept {len(kept)} records"
        )
    finally:
        consumer.close()


def header(record: ConsumerRecord, name: str) -> str:
    """One header's value as text ('' when absent)."""
    for key, value in record.headers or []:
        if key == name:
            return bytes(value).decode()
    return ""

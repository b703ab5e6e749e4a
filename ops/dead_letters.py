"""Replay dead letters after a fix: each chosen record goes back, key and bytes untouched, to the
topic it was first published on, and the hub screens and processes it again.

Replaying is safe to repeat. On an ingest topic a record the hub has since accepted comes back
as a ``duplicate_event_id`` dead letter, never a second accepted event; on a hub log topic every
effect downstream is keyed by event_id. Each replayed record carries ``hub.replayed_from``
(``<topic>/<partition>/<offset>`` of the dead letter), so a replay can be told apart and traced.
Never replays ``duplicate_event_id`` (a retry the hub already has) unless asked by name.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from schemas.topics import DEAD_LETTER

REPLAYED_FROM = "hub.replayed_from"


def client_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """kafka-python security options from HUB_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM,
    _USERNAME and _PASSWORD_FILE (as the hub's processes take them); none on the local stack."""
    env = os.environ if environ is None else environ
    mechanism = env.get("HUB_KAFKA_SASL_MECHANISM")
    if not mechanism:
        return {}
    password_file = env.get("HUB_KAFKA_PASSWORD_FILE")
    return {
        "security_protocol": env.get("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
        "sasl_mechanism": mechanism,
        "sasl_plain_username": env.get("HUB_KAFKA_USERNAME"),
        "sasl_plain_password": Path(password_file).read_text().strip() if password_file else None,
    }


NEVER_BY_DEFAULT = frozenset({"duplicate_event_id"})


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """One record of the dead-letter topic: where it sits, why, and where it came from."""

    partition: int
    offset: int
    reason: str
    source_topic: str | None
    dead_lettered_at: datetime | None
    key: bytes | None
    value: bytes | None

    @property
    def position(self) -> str:
        return f"{DEAD_LETTER}/{self.partition}/{self.offset}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which dead letters to replay: reasons (required), and optionally a source topic and a
    window on when they were dead-lettered."""

    reasons: frozenset[str]
    source_topic: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError("name at least one reason to replay (e.g. processing_error)")

    def wants(self, letter: DeadLetter) -> bool:
        if letter.reason not in self.reasons or letter.source_topic is None:
            return False
        if self.source_topic is not None and letter.source_topic != self.source_topic:
            return False
        at = letter.dead_lettered_at
        if self.since is not None and (at is None or at < self.since):
            return False
        return not (self.until is not None and (at is None or at >= self.until))


@dataclass(slots=True, kw_only=True)
class ReplaySummary:
    """What a replay found and sent, by (reason, source topic); counts only, never content."""

    scanned: int = 0
    replayed: Counter[tuple[str, str]] = field(default_factory=Counter)
    positions: list[str] = field(default_factory=list)


def _header(headers: Iterable[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", errors="replace")
    return None


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def read_dead_letters(bootstrap: str, *, timeout_s: float = 60.0) -> list[DeadLetter]:
    """Every record on the dead-letter topic up to its end offsets as of now."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
        **client_options(),
    )
    try:
        partitions = [
            TopicPartition(DEAD_LETTER, p) for p in consumer.partitions_for_topic(DEAD_LETTER) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        found: list[DeadLetter] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        deadline = time.monotonic() + timeout_s
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{DEAD_LETTER} not read to its end in {timeout_s}s")
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    tp = TopicPartition(r.topic, r.partition)
                    if r.offset >= ends[tp]:
                        remaining.discard(tp)
                        continue
                    headers = list(r.headers or ())
                    found.append(
                        DeadLetter(
                            partition=r.partition,
                            offset=r.offset,
                            reason=_header(headers, "hub.reason") or "",
                            source_topic=_header(headers, "hub.source.topic"),
                            dead_lettered_at=_when(_header(headers, "hub.dead_lettered_at")),
                            key=r.key,
                            value=r.value,
                        )
                    )
                    if r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return found
    finally:
        consumer.close()


def replay(
    bootstrap: str,
    selection: Selection,
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReplaySummary:
    """Send every selected dead letter back to its source topic (acks=all); count them."""
    summary = ReplaySummary()
    letters = read_dead_letters(bootstrap)
    summary.scanned = len(letters)
    chosen = [letter for letter in letters if selection.wants(letter)]
    producer = (
        None
        if dry_run
        else KafkaProducer(bootstrap_servers=bootstrap, acks="all", **client_options())
    )
    try:
        for done, letter in enumerate(chosen, start=1):
            assert letter.source_topic is not None  # Selection.wants checked it
            if producer is not None:
                producer.send(
                    letter.source_topic,
                    key=letter.key,
                    value=letter.value,
                    headers=[(REPLAYED_FROM, letter.position.encode())],
                )
            summary.replayed[(letter.reason, letter.source_topic)] += 1
            summary.positions.append(letter.position)
            if progress is not None:
                progress(done)
        if producer is not None:
            producer.flush(timeout=60)
    finally:
        if producer is not None:
            producer.close()
    return summary

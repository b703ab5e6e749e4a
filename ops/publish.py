"""`hub publish`: send a JSON-lines file of events to the agencies' ingest topics.

Each line is read with the codec's JSON form, checked locally as the ingest stage would
(validation beyond Avro and publishing rights), encoded single-object and sent to the
publisher's ingest topic. Lines that fail are reported by number and reason, never by value,
and the rest are still sent.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from kafka import KafkaProducer
from kafka.errors import KafkaError

from ops import stack
from schemas import codec
from schemas.topics import INGEST_KIND_OF_AGENCY, ingest_topic_for_agency
from schemas.validation import may_publish, validate_event
from streams.simulation.jsonl import Line, read_lines

# The identifier an agency of each kind holds as its own reference for a person.
_OWN_IDENTIFIER = {
    "POLICE": "police_person_ref",
    "SCHOOL": "upn",
    "EARLY_YEARS": "upn",
    "HEALTH": "nhs_number",
    "SOCIAL_CARE": "la_child_id",
    "LOCAL_AUTHORITY": "la_child_id",
    "EARLY_HELP": "la_child_id",
}
_IDENTIFIERS = ("nhs_number", "upn", "police_person_ref", "la_child_id")


class PublishError(Exception):
    """Publishing could not start or finish: a missing file, no broker."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """A checked, encoded event and where it goes."""

    line: int
    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """A line not sent, and why (field paths and rules only)."""

    line: int
    reasons: tuple[str, ...]


@dataclass(slots=True)
class PublishSummary:
    """What a publish did."""

    sent: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)

    def reasons(self) -> dict[str, list[int]]:
        """Each reason with the line numbers it applies to, most frequent first."""
        grouped: dict[str, list[int]] = {}
        for rejection in self.rejected:
            for reason in rejection.reasons:
                grouped.setdefault(reason, []).append(rejection.line)
        return dict(sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def message_key(record: Mapping[str, Any]) -> bytes:
    """The publisher's reference for the first subject (its own identifier kind first), else
    any identifier it gave, else the event id."""
    subjects = record.get("subjects") or []
    first = subjects[0] if subjects else {}
    own = _OWN_IDENTIFIER.get(str(record.get("source", {}).get("agency_kind")))
    for name in ((own,) if own else ()) + _IDENTIFIERS:
        value = first.get(name)
        if value:
            return str(value).encode()
    return str(record.get("event_id")).encode()


def prepare(line: Line, *, now: datetime) -> Outgoing | Rejection:
    """Check and encode one line read from the file."""
    record = line.record
    if record is None:
        return Rejection(line=line.number, reasons=line.problems)
    event_type = str(record["event_type"])
    problems = validate_event(event_type, record, now=now)
    if problems:
        reasons = tuple(f"{p.field or '(record)'}: {p.message}" for p in problems)
        return Rejection(line=line.number, reasons=reasons)
    kind = str(record["source"]["agency_kind"])
    if not may_publish(kind, event_type) or kind not in INGEST_KIND_OF_AGENCY:
        return Rejection(line=line.number, reasons=(f"{kind} may not publish {event_type}",))
    try:
        value = codec.encode(event_type, record)
    except codec.InvalidRecord as exc:
        reasons = tuple(f"{p.field or '(record)'}: {p.message}" for p in exc.problems)
        return Rejection(line=line.number, reasons=reasons)
    return Outgoing(
        line=line.number,
        topic=ingest_topic_for_agency(kind),
        key=message_key(record),
        value=value,
    )


def resolve_bootstrap(explicit: str | None) -> str:
    """--bootstrap, else HUB_KAFKA_BOOTSTRAP, else the local stack's endpoints file."""
    if explicit:
        return explicit
    from_env = os.environ.get("HUB_KAFKA_BOOTSTRAP")
    if from_env:
        return from_env
    endpoints = stack.endpoints_file()
    try:
        bootstrap = json.loads(endpoints.read_text())["kafka_bootstrap"]
    except FileNotFoundError:
        raise PublishError(
            f"no Kafka bootstrap: pass --bootstrap, set HUB_KAFKA_BOOTSTRAP or start the "
            f"local stack with `hub up` (no {endpoints})"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise PublishError(f"{endpoints} has no kafka_bootstrap") from None
    return str(bootstrap)


def count_lines(path: Path) -> int:
    """Non-blank lines in the file, for the progress bar."""
    with _open(path) as handle:
        return sum(1 for text in handle if text.strip())


def _open(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8")
    except FileNotFoundError:
        raise PublishError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise PublishError(f"{path} is a directory, not a JSON-lines file") from None


def _reachable(bootstrap: str, timeout_s: float) -> bool:
    """True when some bootstrap address accepts a TCP connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


def make_producer(bootstrap: str, *, timeout_ms: int = 10_000) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas and batches briefly."""
    # kafka-python leaves its sockets open when it fails to bootstrap, so look first.
    if not _reachable(bootstrap, timeout_ms / 1000):
        raise PublishError(f"cannot reach the Kafka broker at {bootstrap}: no connection")
    try:
        return KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=20,
            bootstrap_timeout_ms=timeout_ms,
            client_id="hub-publish",
        )
    except KafkaError as exc:
        raise PublishError(f"cannot reach the Kafka broker at {bootstrap}: {exc}") from None


def publish_file(
    path: Path,
    *,
    bootstrap: str,
    now: datetime,
    progress: Callable[[int], None] = lambda _n: None,
    producer: KafkaProducer | None = None,
) -> PublishSummary:
    """Send every good line of `path`; `progress(n)` after each line (n lines done)."""
    with _open(path) as handle:
        own_producer = producer is None
        sender = producer if producer is not None else make_producer(bootstrap)
        try:
            return _send_all(sender, read_lines(handle), now=now, progress=progress)
        finally:
            if own_producer:
                sender.close()


def _send_all(
    producer: KafkaProducer,
    lines: Iterable[Line],
    *,
    now: datetime,
    progress: Callable[[int], None],
) -> PublishSummary:
    summary = PublishSummary()
    pending: list[tuple[Outgoing, Any]] = []
    for done, line in enumerate(lines, start=1):
        prepared = prepare(line, now=now)
        if isinstance(prepared, Rejection):
            summary.rejected.append(prepared)
        else:
            future = producer.send(prepared.topic, key=prepared.key, value=prepared.value)
            pending.append((prepared, future))
        progress(done)
    producer.flush()
    for outgoing, future in pending:
        try:
            future.get(timeout=30)
        except KafkaError as exc:
            # A send the broker did not acknowledge; the name of the error, not the payload.
            reason = f"not acknowledged by the broker ({type(exc).__name__})"
            summary.rejected.append(Rejection(line=outgoing.line, reasons=(reason,)))
            continue
        summary.sent += 1
        summary.by_topic[outgoing.topic] = summary.by_topic.get(outgoing.topic, 0) + 1
    summary.rejected.sort(key=lambda r: r.line)
    return summary

"""Load for the benchmark: simulated events encoded as agencies publish them, a producer, and
"the pipeline has caught up" as seen from the read models' recorded positions."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from kafka import KafkaAdminClient, KafkaProducer

from ops.publish import Outgoing, prepare
from projections import registry
from projections.runner import end_offsets
from streams.simulation import Scenario, generate
from streams.simulation.jsonl import Line

# Simulated events per child per day, measured on the simulator (1,000 children x 14 days gave
# 3,288 events): used to size a scenario for a wanted number of events.
EVENTS_PER_CHILD_DAY = 0.23
SCENARIO_DAYS = 14


def scenario_for(events: int, *, seed: int) -> Scenario:
    """A simulated history of about ``events`` events, ending yesterday."""
    children = max(50, int(events / (EVENTS_PER_CHILD_DAY * SCENARIO_DAYS)))
    schools = max(4, children // 150)
    start = datetime.now(UTC).date() - timedelta(days=SCENARIO_DAYS + 1)
    return generate(seed, children=children, schools=schools, days=SCENARIO_DAYS, start=start)


def encode_all(
    events: Iterable[dict[str, Any]], *, now: datetime | None = None
) -> tuple[list[Outgoing], int]:
    """Each event checked and encoded as `hub publish` would; (outgoing, refused locally)."""
    moment = now or datetime.now(UTC)
    out: list[Outgoing] = []
    refused = 0
    for number, record in enumerate(events, start=1):
        prepared = prepare(Line(number=number, record=record), now=moment)
        if isinstance(prepared, Outgoing):
            out.append(prepared)
        else:
            refused += 1
    return out, refused


def producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=10,
        batch_size=256 * 1024,
        client_id="hub-bench",
    )


def produce(
    bootstrap: str,
    messages: Sequence[Outgoing],
    *,
    rate: float | None = None,
    stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Send the messages (paced to ``rate`` per second when given); how many were sent."""
    sender = producer(bootstrap)
    sent = 0
    started = time.monotonic()
    try:
        for message in messages:
            if stop():
                break
            sender.send(message.topic, key=message.key, value=message.value)
            sent += 1
            if rate:
                ahead = started + sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            if sent % 1000 == 0:
                progress(sent)
        sender.flush()
        progress(sent)
    finally:
        sender.close()
    return sent


def accepted_count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM accepted_events").fetchone()
    return int(row[0]) if row else 0


def dead_letter_reasons(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT reason, count(*) FROM dead_letters GROUP BY 1").fetchall()
    return {str(r): int(n) for r, n in rows}


@functools.cache
def _worker_topics() -> tuple[str, frozenset[str]]:
    """The stream worker's consumer group and every topic its agents read (from the app itself,
    so a new stage is counted without a list here to keep up)."""
    from streams.app import create_app
    from streams.internal_topics import consumed_topics
    from streams.settings import Settings

    # Only the topic names are wanted: no broker, database or real identity key is touched.
    settings = Settings.from_env(
        {"HUB_KAFKA_BOOTSTRAP": "unused:0", "HUB_POSTGRES_DSN": "unused", "HUB_IDENTITY_KEY": "-"}
    )
    return settings.app_id, frozenset(consumed_topics(create_app(settings)))


def _lag(bootstrap: str, dsn: str) -> tuple[int, tuple[int, ...]]:
    """(records the stream worker and the read models still have to take, every topic's end
    offsets). The worker's lag counts from its group's committed offsets: without it, a stage
    that pauses (a commit, a slow partition) while the read models are level looks finished."""
    group, worker_topics = _worker_topics()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hub-bench-lag")
    try:
        committed = {
            (tp.topic, tp.partition): meta.offset
            for tp, meta in admin.list_group_offsets(group).get(group, {}).items()
        }
    finally:
        admin.close()
    projection_topics = {t for p in registry.PROJECTIONS for t in p.topics}
    ends = asyncio.run(end_offsets(bootstrap, sorted(projection_topics | worker_topics)))
    with psycopg.connect(dsn) as conn:
        stored = conn.execute(
            "SELECT projection, topic, partition, next_offset FROM projection_positions"
        ).fetchall()
    positions = {(p, t, n): o for p, t, n, o in stored}
    lag = 0
    for (topic, partition), (begin, end) in ends.items():
        if topic in worker_topics:
            lag += max(0, end - max(begin, committed.get((topic, partition), begin)))
        for projection in registry.PROJECTIONS:
            if topic in projection.topics:
                lag += max(0, end - positions.get((projection.name, topic, partition), begin))
    return lag, tuple(end for _tp, (_b, end) in sorted(ends.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class CaughtUp:
    """When the read models had everything, and what was left over."""

    at: float  # time.monotonic() of the first observation of the steady state
    accepted: int


def wait_caught_up(
    bootstrap: str,
    dsn: str,
    *,
    accepted_at_least: int,
    timeout_s: float,
    progress: Callable[[int], None] = lambda _n: None,
    poll_s: float = 0.25,
) -> CaughtUp:
    """Until ``accepted_at_least`` events are in the accepted read model, the stream worker has
    committed the end of every topic it reads, every projection has reached the end of its
    topics, and no topic grew between two looks."""
    deadline = time.monotonic() + timeout_s
    candidate: tuple[float, tuple[int, ...]] | None = None
    while True:
        now = time.monotonic()
        accepted = accepted_count(dsn)
        progress(accepted)
        if accepted >= accepted_at_least:
            lag, ends = _lag(bootstrap, dsn)
            if lag == 0:
                if candidate is not None and candidate[1] == ends:
                    return CaughtUp(at=candidate[0], accepted=accepted)
                candidate = (now, ends)
            else:
                candidate = None
        if now > deadline:
            raise TimeoutError(
                f"the pipeline did not catch up in {timeout_s:.0f}s "
                f"({accepted} of {accepted_at_least} accepted)"
            )
        time.sleep(poll_s)


def today() -> date:
    return datetime.now(UTC).date()

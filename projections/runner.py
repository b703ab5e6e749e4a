"""Run projections: consume their topics, batch, and commit rows with positions.

Positions live in PostgreSQL (projection_positions), never in Kafka consumer groups: at the
start of every session the runner reads them and seeks each partition there. A batch is up to
``max_batch`` records or ``max_wait_ms``, written by store.commit_batch in one transaction.
When PostgreSQL or Kafka fails, the session is torn down and started again with exponential
backoff; it resumes from the stored positions, so nothing is lost or doubled.

Run all projections as a process: ``python -m projections.runner`` (env HUB_KAFKA_BOOTSTRAP,
HUB_POSTGRES_DSN, HUB_METRICS_PORT; optional HUB_PROJECTION_MAX_BATCH and _MAX_WAIT_MS).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError
from prometheus_client import start_http_server

from projections import metrics, registry, store, tables
from projections.model import Projection, SkipRecord, SourceRecord, row_values
from projections.model import TopicPartition as TP
from streams.logs import configure_logging

log = logging.getLogger(__name__)

# What a session may die of and come back from. Anything else (a bug in a mapping, a missing
# table) stops the runner loudly.
RETRYABLE: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    KafkaError,
    OSError,
)
IDLE_CHECK_S = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerConfig:
    """Where to read and write, and how big a batch may grow."""

    bootstrap: str
    dsn: str
    max_batch: int = 5000
    max_wait_ms: int = 200
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RunnerConfig:
        env = os.environ if environ is None else environ
        missing = [k for k in ("HUB_KAFKA_BOOTSTRAP", "HUB_POSTGRES_DSN") if not env.get(k)]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} not set (see .state/endpoints.json)")
        return cls(
            bootstrap=env["HUB_KAFKA_BOOTSTRAP"],
            dsn=env["HUB_POSTGRES_DSN"],
            max_batch=int(env.get("HUB_PROJECTION_MAX_BATCH", "5000")),
            max_wait_ms=int(env.get("HUB_PROJECTION_MAX_WAIT_MS", "200")),
        )


Progress = Callable[[Mapping[TP, int]], None]


class ProjectionRunner:
    """One projection's consume-map-commit loop, restarted on failure until stopped.

    ``stop_at`` (topic, partition) -> offset makes it return once every listed partition's
    position has reached its offset (used by rebuilds); ``on_commit`` sees the positions after
    every commit. ``observe_latency=False`` leaves out the recorded-to-projected histograms,
    which mean nothing when replaying old events (and cost a tenth of a rebuild's time).
    """

    def __init__(
        self,
        projection: Projection,
        config: RunnerConfig,
        *,
        stop_at: Mapping[TP, int] | None = None,
        on_commit: Progress | None = None,
        observe_latency: bool = True,
    ) -> None:
        self.projection = projection
        self._observe_latency = observe_latency
        self.config = config
        self._stop_at = dict(stop_at) if stop_at is not None else None
        self._on_commit = on_commit
        self._stopping = asyncio.Event()
        self._positions: dict[TP, int] = {}
        self._backoff = config.backoff_initial_s

    @property
    def positions(self) -> dict[TP, int]:
        """Positions as last committed (or loaded) by this runner."""
        return dict(self._positions)

    def stop(self) -> None:
        self._stopping.set()

    def _done(self) -> bool:
        if self._stopping.is_set():
            return True
        if self._stop_at is None:
            return False
        return all(self._positions.get(tp, 0) >= end for tp, end in self._stop_at.items())

    async def run(self) -> None:
        """Run sessions until stopped (or ``stop_at`` is reached), retrying failures."""
        name = self.projection.name
        while not self._done():
            try:
                await self._session()
            except RETRYABLE as exc:
                cause = "postgres" if isinstance(exc, psycopg.Error) else "kafka"
                metrics.RETRIES.labels(name, cause).inc()
                # The exception's type only: messages can quote values.
                log.warning(
                    "projection %s: %s (%s); retrying in %.1fs",
                    name,
                    cause,
                    type(exc).__name__,
                    self._backoff,
                )
                await self._pause(self._backoff)
                self._backoff = min(self._backoff * 2, self.config.backoff_max_s)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _session(self) -> None:
        name = self.projection.name
        conn = await store.connect(self.config.dsn, application_name=f"hub-projector:{name}")
        try:
            await store.prepare_staging(conn, self.projection)
            consumer = AIOKafkaConsumer(
                *self.projection.topics,
                bootstrap_servers=self.config.bootstrap,
                group_id=None,  # positions live in PostgreSQL
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                client_id=f"hub-projector-{name}",
                max_poll_records=self.config.max_batch,
            )
            try:
                await consumer.start()
                self._positions = await store.load_positions(conn, name)
                await self._seek(consumer)
                log.info("projection %s: started at %s", name, _describe(self._positions))
                checked = time.monotonic()
                while not self._done():
                    batch = await self._gather(consumer)
                    if batch:
                        await self._apply(conn, consumer, batch)
                        self._backoff = self.config.backoff_initial_s
                    elif time.monotonic() - checked > IDLE_CHECK_S:
                        # Idle: nothing will meet the check in commit_batch, so look now
                        # whether a rebuild swapped positions in under us.
                        checked = time.monotonic()
                        stored = await store.load_positions(conn, name)
                        if stored != self._positions:
                            await self._moved(consumer, stored)
                    self._record_lag(consumer)
            finally:
                await consumer.stop()
        finally:
            await conn.close()

    async def _seek(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            offset = self._positions.get((tp.topic, tp.partition))
            if offset is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)

    async def _gather(self, consumer: AIOKafkaConsumer) -> list[ConsumerRecord[Any, Any]]:
        """Up to max_batch records: waits at most max_wait_ms for the first, then takes only what
        has already arrived. A record is never held back waiting for others (an alert's latency
        counts every hop); under load batches still grow, as records arrive while one is written.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.max_wait_ms / 1000
        batch: list[ConsumerRecord[Any, Any]] = []
        while len(batch) < self.config.max_batch and not self._stopping.is_set():
            remaining_ms = 0 if batch else int((deadline - loop.time()) * 1000)
            if remaining_ms < 0:
                break
            fetched = await consumer.getmany(
                timeout_ms=remaining_ms, max_records=self.config.max_batch - len(batch)
            )
            arrived = [r for records in fetched.values() for r in records]
            if not arrived and (batch or remaining_ms == 0):
                break
            batch.extend(arrived)
        return batch

    async def _apply(
        self,
        conn: psycopg.AsyncConnection[Any],
        consumer: AIOKafkaConsumer,
        batch: Sequence[ConsumerRecord[Any, Any]],
    ) -> None:
        projection = self.projection
        rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        recorded: list[datetime] = []
        occurred: list[datetime] = []
        positions: dict[TP, int] = {}
        for record in batch:
            tp = (record.topic, record.partition)
            already = positions.get(tp, self._positions.get(tp, 0))
            if record.offset < already:
                continue  # redelivered: its effect is already stored (or in this batch)
            positions[tp] = record.offset + 1
            try:
                mapped = projection.map(_source(record))
            except SkipRecord as skip:
                metrics.SKIPPED.labels(projection.name, skip.reason).inc()
                log.warning(
                    "projection %s: skipped %s/%d@%d (%s)",
                    projection.name,
                    record.topic,
                    record.partition,
                    record.offset,
                    skip.reason,
                )
                continue
            for row in mapped:
                table = projection.table_for(row)
                rows[table.name].append(row_values(row))
                if not self._observe_latency:
                    continue
                if table.recorded_at_column is not None:
                    recorded.append(getattr(row, table.recorded_at_column))
                if table.occurred_at_column is not None:
                    occurred.append(getattr(row, table.occurred_at_column))
        if not positions:
            return
        expected = {tp: self._positions[tp] for tp in positions if tp in self._positions}
        started = time.perf_counter()
        try:
            await store.commit_batch(conn, projection, rows, expected=expected, positions=positions)
        except store.PositionsMoved as moved:
            await self._moved(consumer, moved.positions)
            return
        metrics.COMMIT_SECONDS.labels(projection.name).observe(time.perf_counter() - started)
        count = sum(1 for r in batch if (r.topic, r.partition) in positions)
        metrics.BATCH_SIZE.labels(projection.name).observe(count)
        metrics.EVENTS.labels(projection.name).inc(count)
        now = datetime.now(UTC)
        latency = metrics.E2E_LATENCY.labels(projection.name)
        for moment in recorded:
            latency.observe((now - moment).total_seconds())
        since_occurred = metrics.E2E_OCCURRED_LATENCY.labels(projection.name)
        for moment in occurred:
            since_occurred.observe((now - moment).total_seconds())
        self._positions.update(positions)
        if self._on_commit is not None:
            self._on_commit(dict(self._positions))

    async def _moved(self, consumer: AIOKafkaConsumer, stored: Mapping[TP, int]) -> None:
        metrics.RESEEKS.labels(self.projection.name).inc()
        log.info(
            "projection %s: positions moved (a rebuild swap?); re-seeking", self.projection.name
        )
        self._positions = dict(stored)
        await self._seek(consumer)

    def _record_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                lag = max(0, highwater - self._positions.get((tp.topic, tp.partition), 0))
                metrics.LAG.labels(self.projection.name, tp.topic, str(tp.partition)).set(lag)


def _source(record: ConsumerRecord[Any, Any]) -> SourceRecord:
    headers = tuple((k, bytes(v)) for k, v in record.headers) if record.headers else ()
    return SourceRecord(
        record.topic,
        record.partition,
        record.offset,
        record.key,
        record.value,
        headers,
        record.timestamp or 0,
    )


def _describe(positions: Mapping[TP, int]) -> str:
    if not positions:
        return "the beginning"
    return ", ".join(f"{t}/{p}@{o}" for (t, p), o in sorted(positions.items()))


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[TP, tuple[int, int]]:
    """(beginning, end) offsets of every partition of the topics, as of now."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None)
    try:
        await consumer.start()
        tps = sorted(consumer.assignment())
        begins = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): (begins[tp], ends[tp]) for tp in tps}
    finally:
        await consumer.stop()


async def run_all(
    config: RunnerConfig, projections: Sequence[Projection], *, metrics_port: int = 0
) -> None:
    """Run projections side by side until SIGTERM or SIGINT."""
    if metrics_port:
        # Loopback unless told otherwise: containers set HUB_METRICS_ADDR=0.0.0.0 for Prometheus.
        start_http_server(metrics_port, addr=os.environ.get("HUB_METRICS_ADDR", "127.0.0.1"))
    runners = [ProjectionRunner(p, config) for p in projections]
    loop = asyncio.get_running_loop()

    def stop_all() -> None:
        for runner in runners:
            runner.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_all)
    await asyncio.gather(*(r.run() for r in runners))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m projections.runner [--projection NAME ...] [--instance SUFFIX]``."""
    parser = argparse.ArgumentParser(prog="python -m projections.runner", description=__doc__)
    parser.add_argument("--projection", action="append", choices=registry.names())
    parser.add_argument(
        "--instance",
        help="run side-by-side copies: projection <name><SUFFIX> into <table><SUFFIX> "
        "(tables created like the real ones; for tests and trials)",
    )
    args = parser.parse_args(argv)
    configure_logging("projector")
    config = RunnerConfig.from_env()
    chosen = [registry.get(n) for n in args.projection or registry.names()]
    if args.instance:
        asyncio.run(tables.ensure_instances(config.dsn, chosen, args.instance))
        chosen = [p.renamed(args.instance) for p in chosen]
    asyncio.run(run_all(config, chosen, metrics_port=int(os.environ.get("HUB_METRICS_PORT", "0"))))


if __name__ == "__main__":
    main()

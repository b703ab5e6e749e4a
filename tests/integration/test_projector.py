"""The projector against the real broker and database: rows, positions, retries, rebuilds.

Every test runs its own side-by-side instance of a projection (``<name>__<unique>`` into
``<table>__<unique>``, created like the real tables), so tests sharing the session's topics
and database never see each other's positions or rows. Other tests write to the same topics,
so checks are made against this test's own event ids and offsets. Waits are on the recorded
positions in projection_positions, never on sleeps.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer
from prometheus_client import REGISTRY
from psycopg import sql

from projections import registry, store, tables
from projections.accepted_events import rows as accepted_rows
from projections.model import Projection, SourceRecord, TopicPartition, row_values
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner, RunnerConfig, end_offsets
from schemas import codec
from schemas.topics import ACCEPTED, DEAD_LETTER
from tests.conftest import Stack, running_stack
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """A private broker and database: these tests write tens of thousands of records straight
    into the accepted log, which the session's shared worker would otherwise have to digest."""
    with running_stack("hub-test-projector-") as private:
        yield private


Produced = dict[uuid.UUID, tuple[str, int, int]]  # event_id -> (event_type, partition, offset)


# --- helpers shared with test_projector_crash.py -------------------------------------------


def instance(stack: Stack, name: str, suffix: str) -> Iterator[Projection]:
    """A side-by-side copy of projection ``name``; its tables and positions are dropped after."""
    base = registry.get(name)
    asyncio.run(tables.ensure_instances(stack.dsn, [base], suffix))
    copy = base.renamed(suffix)
    try:
        yield copy
    finally:

        async def drop() -> None:
            async with await store.connect(stack.dsn, application_name="test-cleanup") as conn:
                await tables.drop_copies(conn, copy)

        asyncio.run(drop())


def produce_accepted(bootstrap: str, count: int, *, chunk: int = 5000) -> Produced:
    """``count`` encoded sample events with fresh event ids, straight onto the accepted log."""
    encoded = {t: sample_event(t) for t in SAMPLE_EVENT_TYPES}
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    produced: Produced = {}
    try:
        for start in range(0, count, chunk):
            pending = []
            for i in range(start, min(count, start + chunk)):
                event_type = SAMPLE_EVENT_TYPES[i % len(SAMPLE_EVENT_TYPES)]
                event = dict(encoded[event_type], event_id=uuid.uuid4())
                value = codec.encode(event_type, event)
                key = str(event["event_id"]).encode()
                pending.append(
                    (event["event_id"], event_type, producer.send(ACCEPTED, key=key, value=value))
                )
            for event_id, event_type, future in pending:
                meta = future.get(timeout=60)
                produced[event_id] = (event_type, meta.partition, meta.offset)
    finally:
        producer.close()
    return produced


def on(table: str, template: str) -> sql.Composed:
    """A statement naming a test's table safely."""
    return sql.SQL(template).format(sql.Identifier(table))


def ends_now(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    return {tp: end for tp, (_b, end) in asyncio.run(end_offsets(bootstrap, [topic])).items()}


def positions_of(dsn: str, projection: str) -> dict[TopicPartition, int]:
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "SELECT topic, partition, next_offset FROM projection_positions WHERE projection = %s",
            (projection,),
        ).fetchall()
    return {(t, p): o for t, p, o in found}


def reached(dsn: str, projection: str, ends: Mapping[TopicPartition, int]) -> bool:
    stored = positions_of(dsn, projection)
    return all(stored.get(tp, 0) >= end for tp, end in ends.items())


async def wait_positions(
    dsn: str, projection: str, ends: Mapping[TopicPartition, int], timeout_s: float = 120.0
) -> None:
    """Until the projection's recorded positions reach ``ends`` (polling the database)."""
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(reached, dsn, projection, ends):
        if time.monotonic() > deadline:
            raise AssertionError(f"{projection} did not reach {dict(ends)}")
        await asyncio.sleep(0.1)


def accepted_rows_for(dsn: str, table: str, ids: Any) -> dict[uuid.UUID, tuple[str, int, int]]:
    """event_id -> (event_type, partition, offset) for these ids, failing on duplicates."""
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            on(
                table,
                'SELECT event_id, event_type, partition, "offset" FROM {} WHERE event_id = ANY(%s)',
            ),
            (list(ids),),
        ).fetchall()
    result = {event_id: (t, p, o) for event_id, t, p, o in found}
    assert len(result) == len(found)
    return result


def table_contents(
    dsn: str, table: str, ends: Mapping[TopicPartition, int]
) -> list[tuple[Any, ...]]:
    """Every row below ``ends`` (other tests may have appended since), projected_at aside."""
    with psycopg.connect(dsn) as conn:
        found = conn.execute(on(table, 'SELECT * FROM {} ORDER BY partition, "offset"'))
        names = [d.name for d in found.description or ()]
        keep = [i for i, n in enumerate(names) if n != "projected_at"]
        p, o = names.index("partition"), names.index("offset")
        return [
            tuple(row[i] for i in keep)
            for row in found.fetchall()
            if row[o] < ends.get((ACCEPTED, row[p]), 0)
        ]


async def run_until(runners: list[ProjectionRunner], done: Callable[[], Awaitable[None]]) -> None:
    """Run the runners until ``done`` returns, then stop them and wait for a clean exit."""
    tasks = [asyncio.create_task(r.run()) for r in runners]
    try:
        await done()
    finally:
        for runner in runners:
            runner.stop()
        await asyncio.gather(*tasks)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def config(stack: Stack, **overrides: Any) -> RunnerConfig:
    settings: dict[str, Any] = {"bootstrap": stack.bootstrap, "dsn": stack.dsn, "max_wait_ms": 100}
    return RunnerConfig(**(settings | overrides))


# --- tests ----------------------------------------------------------------------------------


@pytest.fixture
def accepted(stack: Stack, unique_name: str) -> Iterator[Projection]:
    yield from instance(stack, "accepted_events", f"__{unique_name}")


@pytest.fixture
def dead_letters(stack: Stack, unique_name: str) -> Iterator[Projection]:
    yield from instance(stack, "dead_letters", f"__{unique_name}")


def test_accepted_events_and_dead_letters_are_projected_with_their_positions(
    stack: Stack, accepted: Projection, dead_letters: Projection
) -> None:
    produced = produce_accepted(stack.bootstrap, 200)
    originals = [uuid.uuid4().bytes + b"not avro", b"", b"\xc3\x01" + bytes(8)]
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    at = datetime.now(UTC).replace(microsecond=0)
    futures = [
        producer.send(
            DEAD_LETTER,
            key=b"pub-key",
            value=original,
            headers=[
                ("hub.reason", b"MALFORMED"),
                ("hub.detail", b"unknown framing"),
                ("hub.source.topic", b"hub.ingest.police.v1"),
                ("hub.source.partition", b"1"),
                ("hub.source.offset", str(i).encode()),
                ("hub.dead_lettered_at", at.isoformat().encode()),
            ],
        )
        for i, original in enumerate(originals)
    ]
    dead_offsets = [f.get(timeout=30).offset for f in futures]
    producer.close()
    accepted_ends = ends_now(stack.bootstrap, ACCEPTED)
    dead_ends = ends_now(stack.bootstrap, DEAD_LETTER)

    async def scenario() -> None:
        async def done() -> None:
            await wait_positions(stack.dsn, accepted.name, accepted_ends)
            await wait_positions(stack.dsn, dead_letters.name, dead_ends)

        await run_until(
            [
                ProjectionRunner(accepted, config(stack)),
                ProjectionRunner(dead_letters, config(stack)),
            ],
            done,
        )

    asyncio.run(scenario())

    assert accepted_rows_for(stack.dsn, accepted.tables[0].name, produced) == produced
    with psycopg.connect(stack.dsn) as conn:
        found = conn.execute(
            on(
                dead_letters.tables[0].name,
                'SELECT "offset", reason, detail, source_topic, source_partition, source_offset, '
                "dead_lettered_at, original_key, original_size, original FROM {} "
                'WHERE "offset" = ANY(%s) ORDER BY "offset"',
            ),
            (dead_offsets,),
        ).fetchall()
    assert found == [
        (
            offset,
            "MALFORMED",
            "unknown framing",
            "hub.ingest.police.v1",
            1,
            i,
            at,
            b"pub-key",
            len(original),
            original,
        )
        for i, (offset, original) in enumerate(zip(dead_offsets, originals, strict=True))
    ]
    assert metric("hub_projection_events_total", projection=accepted.name) >= len(produced)
    partition = str(next(iter(produced.values()))[1])
    lag = metric(
        "hub_projection_lag_records", projection=accepted.name, topic=ACCEPTED, partition=partition
    )
    assert lag == 0


def test_a_second_run_resumes_from_its_positions_and_projects_nothing_twice(
    stack: Stack, accepted: Projection
) -> None:
    first = produce_accepted(stack.bootstrap, 100)
    ends = ends_now(stack.bootstrap, ACCEPTED)
    asyncio.run(
        run_until(
            [ProjectionRunner(accepted, config(stack))],
            lambda: wait_positions(stack.dsn, accepted.name, ends),
        )
    )
    before = metric("hub_projection_events_total", projection=accepted.name)
    second = produce_accepted(stack.bootstrap, 50)
    ends = ends_now(stack.bootstrap, ACCEPTED)
    asyncio.run(
        run_until(
            [ProjectionRunner(accepted, config(stack))],
            lambda: wait_positions(stack.dsn, accepted.name, ends),
        )
    )
    projected = metric("hub_projection_events_total", projection=accepted.name) - before
    # Only what arrived since (ours and whatever other tests wrote meanwhile), not a replay.
    assert len(second) <= projected < len(first) + len(second) + 1000
    both = first | second
    assert accepted_rows_for(stack.dsn, accepted.tables[0].name, both) == both


def test_the_runner_survives_postgres_dropping_its_connection_and_kafka_being_away(
    stack: Stack, accepted: Projection
) -> None:
    application = f"hub-projector:{accepted.name}"[:63]

    async def scenario() -> Produced:
        # Kafka away: a closed port. The runner retries with backoff instead of dying.
        away = ProjectionRunner(accepted, config(stack, bootstrap="127.0.0.1:9"))
        task = asyncio.create_task(away.run())
        while metric("hub_projection_retries_total", projection=accepted.name, cause="kafka") < 1:
            await asyncio.sleep(0.05)
        away.stop()
        await task

        produced: Produced = {}
        runner = ProjectionRunner(accepted, config(stack, max_batch=200))

        async def done() -> None:
            for _round in range(3):
                produced.update(await asyncio.to_thread(produce_accepted, stack.bootstrap, 1000))
                with psycopg.connect(stack.dsn, autocommit=True) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = %s",
                        (application,),
                    )
            ends = await asyncio.to_thread(ends_now, stack.bootstrap, ACCEPTED)
            await wait_positions(stack.dsn, accepted.name, ends)

        await run_until([runner], done)
        return produced

    before = metric("hub_projection_retries_total", projection=accepted.name, cause="postgres")
    produced = asyncio.run(scenario())
    assert accepted_rows_for(stack.dsn, accepted.tables[0].name, produced) == produced
    after = metric("hub_projection_retries_total", projection=accepted.name, cause="postgres")
    assert after > before


def test_rebuild_yields_identical_tables_and_readers_keep_the_old_table_until_the_swap(
    stack: Stack, accepted: Projection
) -> None:
    produced = produce_accepted(stack.bootstrap, 3000)
    ends = ends_now(stack.bootstrap, ACCEPTED)
    live_table = accepted.tables[0].name
    suffix = accepted.name.removeprefix("accepted_events")
    seen_during: list[tuple[int, int, int]] = []

    def watch(done: int, total: int) -> None:
        # Called between the rebuild's commits: the live table must still answer in full.
        if 0 < done < total:
            live = len(accepted_rows_for(stack.dsn, live_table, produced))
            with psycopg.connect(stack.dsn) as conn:
                row = conn.execute(
                    on(f"{live_table}__rebuild", "SELECT count(*) FROM {}")
                ).fetchone()
            seen_during.append((done, live, row[0] if row else 0))

    async def scenario() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        live = ProjectionRunner(accepted, config(stack))
        task = asyncio.create_task(live.run())
        try:
            await wait_positions(stack.dsn, accepted.name, ends)
            before = await asyncio.to_thread(table_contents, stack.dsn, live_table, ends)
            await asyncio.to_thread(
                rebuild,
                stack.dsn,
                stack.bootstrap,
                "accepted_events",
                progress=watch,
                instance=suffix,
                max_batch=1000,
            )
            after = await asyncio.to_thread(table_contents, stack.dsn, live_table, ends)
            # The live runner carries on into the swapped-in table.
            more = await asyncio.to_thread(produce_accepted, stack.bootstrap, 100)
            later = await asyncio.to_thread(ends_now, stack.bootstrap, ACCEPTED)
            await wait_positions(stack.dsn, accepted.name, later)
            assert accepted_rows_for(stack.dsn, live_table, more) == more
        finally:
            live.stop()
            await task
        return before, after

    def index_definitions() -> set[tuple[str, str]]:
        with psycopg.connect(stack.dsn) as conn:
            return {
                (r[0], r[1])
                for r in conn.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                    (live_table,),
                )
            }

    indexes_before = index_definitions()
    before, after = asyncio.run(scenario())
    assert after == before
    # The fresh table loads without its non-unique indexes and builds them before the swap:
    # the same indexes, under the same names, afterwards.
    assert index_definitions() == indexes_before
    assert len(indexes_before) > 1, "accepted_events has non-unique indexes to rebuild"
    assert len([r for r in after if r[0] in produced]) == len(produced)
    assert seen_during, "the rebuild reported no progress between commits"
    assert all(live == len(produced) for _done, live, _partial in seen_during)
    assert any(0 < partial < len(after) for _done, _live, partial in seen_during)
    with psycopg.connect(stack.dsn) as conn:
        names = {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s", (live_table,)
            )
        }
        leftovers = conn.execute(
            "SELECT count(*) FROM projection_positions WHERE projection = %s",
            (f"{accepted.name}__rebuild",),
        ).fetchone()
    assert f"{live_table}_pkey" in names
    assert not any("__rebuild" in n for n in names)
    assert leftovers == (0,)


def test_batched_upsert_throughput_against_a_plain_copy(
    stack: Stack, accepted: Projection, capsys: pytest.CaptureFixture[str]
) -> None:
    count = 20_000
    values = {t: sample_event(t) for t in SAMPLE_EVENT_TYPES}
    rows: list[tuple[Any, ...]] = []
    for i in range(count):
        event_type = SAMPLE_EVENT_TYPES[i % len(SAMPLE_EVENT_TYPES)]
        event = dict(values[event_type], event_id=uuid.uuid4())
        record = SourceRecord(
            topic=ACCEPTED, partition=0, offset=i, key=None, value=codec.encode(event_type, event)
        )
        rows.extend(row_values(r) for r in accepted_rows(record))
    table = accepted.tables[0]
    scratch = f"scratch__{table.name}"

    async def measure() -> tuple[float, float]:
        async with await store.connect(stack.dsn, application_name="test-throughput") as conn:
            await store.prepare_staging(conn, accepted)
            started = time.perf_counter()
            await store.commit_batch(
                conn,
                accepted,
                {table.name: rows},
                expected={},
                positions={("bench", 0): count},
            )
            upsert = time.perf_counter() - started
            await conn.execute(on(scratch, "CREATE TABLE {} (LIKE accepted_events INCLUDING ALL)"))
            try:
                started = time.perf_counter()
                async with conn.transaction():
                    await store.copy_rows(conn, scratch, table.columns, rows)
                plain = time.perf_counter() - started
            finally:
                await conn.execute(on(scratch, "DROP TABLE {}"))
        return upsert, plain

    upsert, plain = asyncio.run(measure())
    with capsys.disabled():
        print(
            f"\n[projector throughput] {count} rows: staging COPY + INSERT ON CONFLICT + positions "
            f"{count / upsert:,.0f} rows/s ({upsert * 1000:.0f} ms); plain COPY into a scratch "
            f"table {count / plain:,.0f} rows/s ({plain * 1000:.0f} ms)"
        )
    with psycopg.connect(stack.dsn) as conn:
        stored = conn.execute(on(table.name, "SELECT count(*) FROM {}")).fetchone()
    assert stored == (count,)

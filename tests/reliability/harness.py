"""What the reliability tests share: a private hub (broker, database, worker, projector, and
the gateway when asked) started with the same launchers as `hub up`, faults to inject, and the
reconciliation of every read model with the log it is built from.

Sizes come from the environment so `make reliability` can run the issue's full sizes while the
default suite runs reduced ones: HUB_RELIABILITY_EVENTS, HUB_RELIABILITY_KILLS,
HUB_RELIABILITY_LOAD_SECONDS, HUB_RELIABILITY_LOAD_RATE, HUB_RELIABILITY_FUZZ.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer
from psycopg import sql

from ops import kafka_broker, postgres, stack
from ops.bench.load import encode_all, produce, scenario_for, wait_caught_up
from ops.paths import state_dir
from ops.processes import read_pid
from ops.publish import Outgoing
from projections import registry, store
from projections.model import SkipRecord, SourceRecord, row_values
from schemas import codec
from schemas.topics import ACCEPTED, DEAD_LETTER, SHARES


def size(name: str, default: int) -> int:
    """A size from HUB_RELIABILITY_<NAME>, else the reduced default."""
    return int(os.environ.get(f"HUB_RELIABILITY_{name}", default))


PIPELINE = tuple(p for p in stack.HUB_PROCESSES if p.name in ("worker", "projector"))
WITH_GATEWAY = tuple(p for p in stack.HUB_PROCESSES if p.name in ("worker", "projector", "gateway"))


@dataclass(slots=True)
class Hub:
    """A private hub under ``root``."""

    root: Path
    processes: tuple[stack.HubProcess, ...]
    endpoints: stack.Endpoints | None = None
    restarts: Counter[str] = field(default_factory=Counter)

    @property
    def bootstrap(self) -> str:
        assert self.endpoints is not None
        return self.endpoints.kafka_bootstrap

    @property
    def dsn(self) -> str:
        assert self.endpoints is not None
        return self.endpoints.postgres_dsn

    def up(self) -> None:
        """Start whatever is not running (idempotent, as `hub up`)."""
        self.endpoints = stack.up(root=self.root, say=lambda _m: None, processes=self.processes)
        self.wait_worker_ready()

    def pid(self, process: str) -> int | None:
        return read_pid(self.root / "run" / f"{process}.pid")

    def log(self, process: str) -> Path:
        return self.root / "logs" / f"{process}.log"

    def wait_worker_ready(self, timeout_s: float = 180.0) -> None:
        """Until the worker's log shows one more "Ready" than restarts so far."""
        want = self.restarts["worker"] + 1
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = (
                self.log("worker").read_text(errors="replace")
                if self.log("worker").exists()
                else ""
            )
            if text.count("Worker]: Ready") >= want:
                return
            assert self.pid("worker") is not None, text[-3000:]
            time.sleep(0.2)
        raise AssertionError(f"the worker was not ready in {timeout_s}s")

    def kill9(self, process: str) -> None:
        """SIGKILL the process group (no clean shutdown, no commit), then start it again."""
        pid = self.pid(process)
        assert pid is not None, f"{process} is not running"
        os.killpg(pid, signal.SIGKILL)
        while self.pid(process) is not None:
            time.sleep(0.05)
        self.restarts[process] += 1
        self.up()

    def restart_broker(self) -> None:
        kafka_broker.stop(self.root / "kafka")
        kafka_broker.start(self.root / "kafka", jar_cache=self.root / "kafka-cache")

    def restart_postgres(self) -> None:
        postgres.stop(self.root / "postgres")
        postgres.start(self.root / "postgres")

    def rss_bytes(self, process: str) -> int:
        """Peak resident set (VmHWM) of the process, bytes."""
        pid = self.pid(process)
        assert pid is not None
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0


@contextlib.contextmanager
def private_hub(processes: tuple[stack.HubProcess, ...] = PIPELINE) -> Iterator[Hub]:
    root = Path(tempfile.mkdtemp(prefix="hub-reliability-"))
    os.chmod(root, 0o755)  # noqa: S103 (the postgres user must traverse it)
    (root / "kafka-cache").symlink_to(state_dir() / "kafka-cache")
    hub = Hub(root=root, processes=processes)
    try:
        hub.up()
        yield hub
    finally:
        stack.down(root=root, say=lambda _m: None)
        if not os.environ.get("HUB_TEST_KEEP_STATE"):
            shutil.rmtree(root, ignore_errors=True)


def simulated(events: int, seed: int) -> tuple[list[dict[str, Any]], list[Outgoing]]:
    """A simulated history of about ``events`` events and its encoded messages."""
    scenario = scenario_for(events, seed=seed)
    messages, refused = encode_all(scenario.events)
    assert refused == 0
    return scenario.events, messages


def publish(hub: Hub, messages: Sequence[Outgoing], *, rate: float | None = None) -> int:
    return produce(hub.bootstrap, messages, rate=rate)


def caught_up(hub: Hub, *, accepted: int, timeout_s: float = 600) -> None:
    wait_caught_up(hub.bootstrap, hub.dsn, accepted_at_least=accepted, timeout_s=timeout_s)


def _outcomes(dsn: str, ids: Sequence[str]) -> tuple[int, int, int]:
    """(of these events: accepted, dead-lettered; every projection's position summed)."""
    with psycopg.connect(dsn) as conn:
        accepted = conn.execute(
            "SELECT count(*) FROM accepted_events WHERE event_id = ANY(%s::uuid[])", (list(ids),)
        ).fetchone()
        dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
        moved = conn.execute(
            "SELECT coalesce(sum(next_offset), 0) FROM projection_positions"
        ).fetchone()
    return (
        int(accepted[0] if accepted else 0),
        int(dead[0] if dead else 0),
        int(moved[0] if moved else 0),
    )


def settle(
    hub: Hub, published: Sequence[Outgoing], *, idle_s: float = 30.0, timeout_s: float = 1200.0
) -> list[str]:
    """Wait until every published event is in the accepted read model and the read models have
    caught up, or until nothing has moved for ``idle_s``; the event ids never accepted."""
    ids = [str(codec.decode(m.value).record["event_id"]) for m in published]
    deadline = time.monotonic() + timeout_s
    last: tuple[int, int, int] | None = None
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        now = _outcomes(hub.dsn, ids)
        if now[0] == len(ids):
            wait_caught_up(hub.bootstrap, hub.dsn, accepted_at_least=0, timeout_s=timeout_s)
            return []
        if now != last:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since > idle_s:
            break
        time.sleep(0.5)
    wait_caught_up(hub.bootstrap, hub.dsn, accepted_at_least=0, timeout_s=timeout_s)
    with psycopg.connect(hub.dsn) as conn:
        found = conn.execute(
            "SELECT event_id::text FROM accepted_events WHERE event_id = ANY(%s::uuid[])", (ids,)
        ).fetchall()
    return sorted(set(ids) - {r[0] for r in found})


def lost_report(hub: Hub, lost: Sequence[str], published: Sequence[Outgoing]) -> str:
    """Where each lost event sat on its ingest topic, and whether any dead letter names it."""
    by_id = {str(codec.decode(m.value).record["event_id"]): m for m in published}
    lines = []
    topics = sorted({by_id[i].topic for i in lost})
    where = {
        str(codec.decode(r.value or b"").record["event_id"]): (r.topic, r.partition, r.offset)
        for r in read_topics(hub.bootstrap, topics)
        if _decodes(r.value)
    }
    on_log = {(r.key or b"").decode() for r in read_topics(hub.bootstrap, [ACCEPTED])}
    dead_ids = {
        str(codec.decode(r.value or b"").record["event_id"])
        for r in read_topics(hub.bootstrap, [DEAD_LETTER])
        if _decodes(r.value)
    }
    for event_id in lost:
        topic, partition, offset = where.get(event_id, ("?", -1, -1))
        lines.append(
            f"  LOST {event_id}: {topic}/{partition}@{offset}; dead-lettered: "
            f"{event_id in dead_ids}; on the accepted log by now: {event_id in on_log}"
        )
    return "\n".join(lines)


def _decodes(value: bytes | None) -> bool:
    try:
        codec.decode(value or b"")
    except codec.DecodeError:
        return False
    return True


# --- reconciliation -------------------------------------------------------------------


async def _read_all(bootstrap: str, topics: Sequence[str]) -> list[SourceRecord]:
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tps = list(consumer.assignment())
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[SourceRecord] = []
        while True:
            positions = {tp: await consumer.position(tp) for tp in tps}
            if all(positions[tp] >= end for tp, end in ends.items()):
                break
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                found.extend(
                    SourceRecord(
                        topic=r.topic,
                        partition=r.partition,
                        offset=r.offset,
                        key=r.key,
                        value=r.value,
                        headers=tuple((k, bytes(v)) for k, v in r.headers or ()),
                    )
                    for r in records
                    if r.offset < ends[tp]
                )
        return found
    finally:
        await consumer.stop()


def read_topics(bootstrap: str, topics: Sequence[str]) -> list[SourceRecord]:
    return asyncio.run(_read_all(bootstrap, topics))


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciliation:
    """What was compared and what differed (empty lists: reconciled)."""

    published: int
    accepted_once: int
    accepted_log_copies: int
    tables: dict[str, int]
    mismatches: list[str]
    duplicate_shares: int
    dead_letters: dict[str, int]

    def report(self, title: str) -> str:
        lines = [
            f"[{title}] reconciliation",
            f"  published {self.published}; in accepted_events exactly once: {self.accepted_once}; "
            f"copies on the accepted log: {self.accepted_log_copies} (redeliveries show here)",
            "  rows per table, each equal to its log mapped afresh: "
            + ", ".join(f"{t}={n}" for t, n in sorted(self.tables.items())),
            f"  recipients given the same share twice: {self.duplicate_shares}",
            f"  dead letters by reason: {self.dead_letters or 'none'}",
            f"  mismatches: {self.mismatches or 'none'}",
        ]
        return "\n".join(lines)


def _snapshot(
    dsn: str, projection: Any
) -> tuple[dict[tuple[str, int], int], dict[str, set[tuple[str, ...]]]]:
    """A projection's positions and its tables' keys, read in one consistent snapshot."""
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        positions = {
            (t, p): o
            for t, p, o in conn.execute(
                "SELECT topic, partition, next_offset FROM projection_positions "
                "WHERE projection = %s",
                (projection.name,),
            ).fetchall()
        }
        keys = {}
        for table in projection.tables:
            rows = conn.execute(
                sql.SQL("SELECT {} FROM {}").format(
                    sql.SQL(", ").join(
                        sql.SQL("{}::text").format(sql.Identifier(k)) for k in table.key
                    ),
                    sql.Identifier(table.name),
                )
            ).fetchall()
            keys[table.name] = {tuple(r) for r in rows}
    return positions, keys


def reconcile(hub: Hub, published: Sequence[Outgoing]) -> Reconciliation:
    """Every read model against its log up to the position it recorded (what the projector
    has consumed; the log may have grown since); the published events against the accepted
    read model; the shares log against "a recipient gets each share once"."""
    mismatches: list[str] = []
    tables: dict[str, int] = {}
    for projection in registry.PROJECTIONS:
        positions, stored = _snapshot(hub.dsn, projection)
        expected: dict[str, set[tuple[str, ...]]] = {t.name: set() for t in projection.tables}
        for record in read_topics(hub.bootstrap, projection.topics):
            if record.offset >= positions.get((record.topic, record.partition), 0):
                continue  # not consumed by the projector when the snapshot was taken
            try:
                rows = projection.map(record)
            except SkipRecord:
                continue
            for row in rows:
                table = projection.table_for(row)
                values = dict(zip(table.columns, row_values(row), strict=True))
                expected[table.name].add(tuple(str(values[k]) for k in table.key))
        for table in projection.tables:
            tables[table.name] = len(stored[table.name])
            if stored[table.name] != expected[table.name]:
                mismatches.append(
                    f"{table.name}: {len(expected[table.name] - stored[table.name])} missing, "
                    f"{len(stored[table.name] - expected[table.name])} not in the log "
                    f"(e.g. {sorted(stored[table.name] ^ expected[table.name])[:2]})"
                )
    ids = [codec.decode(m.value).record["event_id"] for m in published]
    with psycopg.connect(hub.dsn) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM accepted_events "
            "WHERE event_id = ANY(%s::uuid[])",
            ([str(i) for i in ids],),
        ).fetchone()
        reasons = conn.execute("SELECT reason, count(*) FROM dead_letters GROUP BY 1").fetchall()
    assert row is not None
    wanted = {str(i) for i in ids}
    copies = sum(
        1 for r in read_topics(hub.bootstrap, [ACCEPTED]) if (r.key or b"").decode() in wanted
    )
    triples: dict[tuple[str, str, str], set[str]] = {}
    for record in read_topics(hub.bootstrap, [SHARES]):
        decoded = codec.decode(record.value or b"")
        if decoded.event_type != "Shared":
            continue
        r = decoded.record
        triple = (str(r["source_event_id"]), str(r["record_id"]), str(r["recipient_id"]))
        triples.setdefault(triple, set()).add(str(r["event_id"]))
    if row[0] != row[1]:
        mismatches.append(f"accepted_events holds {row[0] - row[1]} events more than once")
    if row[1] != len(ids):
        mismatches.append(f"accepted_events lacks {len(ids) - row[1]} published events")
    return Reconciliation(
        published=len(ids),
        accepted_once=int(row[1]),
        accepted_log_copies=copies,
        tables=tables,
        mismatches=mismatches,
        duplicate_shares=sum(1 for ids_ in triples.values() if len(ids_) > 1),
        dead_letters={str(r): int(n) for r, n in reasons},
    )


def dead_letter_records(hub: Hub) -> list[SourceRecord]:
    return read_topics(hub.bootstrap, [DEAD_LETTER])


async def _positions(dsn: str) -> int:
    async with await store.connect(dsn, application_name="reliability") as conn:
        cur = await conn.execute("SELECT coalesce(sum(next_offset), 0) FROM projection_positions")
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def projected_so_far(hub: Hub) -> int:
    """Sum of every projection's positions: grows while the projector works."""
    return asyncio.run(_positions(hub.dsn))

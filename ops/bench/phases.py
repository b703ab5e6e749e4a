"""The benchmark's measurements, each a function of the private stack returning plain figures.

Each returns a dict of JSON-ready numbers; none asserts a target (``report`` compares).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import psycopg
from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient
from psycopg import sql

from ops.bench.env import BenchStack
from ops.bench.load import (
    CaughtUp,
    dead_letter_reasons,
    encode_all,
    produce,
    wait_caught_up,
)
from ops.publish import Outgoing
from projections import registry, store, tables
from projections.model import SkipRecord, SourceRecord, row_values
from projections.rebuild import rebuild_all
from projections.runner import end_offsets
from schemas import codec
from schemas.topics import ACCEPTED, INGEST_KINDS, ingest_topic

Progress = Callable[[int, int], None]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --- pipeline and raw consume ------------------------------------------------------------


def pipeline(
    bench: BenchStack, messages: Sequence[Outgoing], *, progress: Progress, timeout_s: float
) -> dict[str, Any]:
    """Produce the messages to the ingest topics as fast as the producer goes, and time until
    every read model has caught up (accepted, chronology, shares, alerts, audit...)."""
    before = _accepted(bench.dsn)
    written_before = messages_written(bench.bootstrap)
    total = len(messages)
    started = time.monotonic()
    produce(bench.bootstrap, messages)
    produced_s = time.monotonic() - started
    caught: CaughtUp = wait_caught_up(
        bench.bootstrap,
        bench.dsn,
        accepted_at_least=before + total,
        timeout_s=timeout_s,
        progress=lambda n: progress(n - before, total),
    )
    seconds = caught.at - started
    # Everything the run wrote, ingest excluded: every stage's outputs, internal topics and
    # table changelogs; each is a message some faust agent produced and most are consumed again.
    written = messages_written(bench.bootstrap) - written_before
    return {
        "messages_written_per_event": round(written / total, 2),
        "events": total,
        "accepted": caught.accepted - before,
        "seconds": round(seconds, 3),
        "produce_seconds": round(produced_s, 3),
        "events_per_s": round(total / seconds, 1),
        "dead_letters_by_reason": dead_letter_reasons(bench.dsn),
    }


def messages_written(bootstrap: str) -> int:
    """The sum of the end offsets of every topic the hub writes (not the agencies' ingest
    topics, Kafka's own or the bench's floor topics)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hub-bench-count")
    try:
        listed = admin.list_topics()
    finally:
        admin.close()
    ingest = {ingest_topic(k) for k in INGEST_KINDS}
    names = [t for t in listed if t not in ingest and not t.startswith(("__", "bench-floor-"))]
    return sum(end for _b, end in asyncio.run(end_offsets(bootstrap, names)).values())


def _accepted(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM accepted_events").fetchone()
    return int(row[0]) if row else 0


async def _raw_consume(bootstrap: str, topics: Sequence[str], count: int) -> tuple[int, float]:
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=5000,
        client_id="hub-bench-raw",
    )
    await consumer.start()
    try:
        started = time.perf_counter()
        done = 0
        while done < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if not batch and time.perf_counter() - started > 120:
                break
            for records in batch.values():
                for record in records:
                    codec.decode(record.value)
                    done += 1
        return done, time.perf_counter() - started
    finally:
        await consumer.stop()


def raw_consume(bench: BenchStack, count: int) -> dict[str, Any]:
    """aiokafka alone consuming and decoding the ingest topics' messages (the same ones)."""
    topics = [ingest_topic(k) for k in INGEST_KINDS]
    done, seconds = asyncio.run(_raw_consume(bench.bootstrap, topics, count))
    return {"events": done, "seconds": round(seconds, 3), "events_per_s": round(done / seconds, 1)}


# --- projection writes against a plain COPY -----------------------------------------------


async def _records(bootstrap: str, topics: Sequence[str], limit: int) -> list[SourceRecord]:
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[SourceRecord] = []
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        left = sum(ends.values())
        while len(found) < min(limit, left):
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                break
            for records in batch.values():
                found.extend(
                    SourceRecord(
                        topic=r.topic,
                        partition=r.partition,
                        offset=r.offset,
                        key=r.key,
                        value=r.value,
                        headers=tuple((k, bytes(v)) for k, v in r.headers or ()),
                        timestamp_ms=r.timestamp or 0,
                    )
                    for r in records
                )
    finally:
        await consumer.stop()
    return found[:limit]


async def _projection_writes(dsn: str, bootstrap: str, limit: int) -> dict[str, Any]:
    per: dict[str, dict[str, float]] = {}
    suffix = f"__bench{uuid.uuid4().hex[:6]}"
    for live in registry.PROJECTIONS:
        rows: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in live.tables}
        for record in await _records(bootstrap, live.topics, limit):
            try:
                mapped = live.map(record)
            except SkipRecord:
                continue
            for row in mapped:
                rows[live.table_for(row).name].append(row_values(row))
        count = sum(len(r) for r in rows.values())
        if not count:
            continue
        await tables.ensure_instances(dsn, [live], suffix)
        copy_of = live.renamed(suffix)
        renamed = {c.name: rows[t.name] for t, c in zip(live.tables, copy_of.tables, strict=True)}
        async with await store.connect(dsn, application_name="hub-bench") as conn:
            try:
                await store.prepare_staging(conn, copy_of)
                started = time.perf_counter()
                await store.commit_batch(
                    conn, copy_of, renamed, expected={}, positions={("bench", 0): count}
                )
                upsert = time.perf_counter() - started
                plain = 0.0
                for table in copy_of.tables:
                    # The same rows the upsert wrote: one per key where a later write wins.
                    same = renamed[table.name]
                    if table.on_conflict == "update":
                        same = store.last_per_key(table, same)
                    elif table.on_conflict == "merge":
                        same = store.merged_per_key(table, same)
                    scratch = f"scratch{suffix}"[:63]
                    await conn.execute(
                        sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                            sql.Identifier(scratch), sql.Identifier(table.name)
                        )
                    )
                    try:
                        started = time.perf_counter()
                        async with conn.transaction():
                            await store.copy_rows(conn, scratch, table.columns, same)
                        plain += time.perf_counter() - started
                    finally:
                        await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(scratch)))
            finally:
                await tables.drop_copies(conn, copy_of)
        per[live.name] = {"rows": count, "upsert_s": round(upsert, 4), "copy_s": round(plain, 4)}
    rows_total = sum(p["rows"] for p in per.values())
    upsert_s = sum(p["upsert_s"] for p in per.values())
    copy_s = sum(p["copy_s"] for p in per.values())
    return {
        "rows": rows_total,
        "projector_rows_per_s": round(rows_total / upsert_s, 1) if upsert_s else 0.0,
        "copy_rows_per_s": round(rows_total / copy_s, 1) if copy_s else 0.0,
        "ratio": round(copy_s / upsert_s, 3) if upsert_s else 0.0,
        "by_projection": per,
    }


def projection_writes(bench: BenchStack, *, limit: int) -> dict[str, Any]:
    """Rows each projection maps from its topics: the projector's write (staging COPY, upsert,
    positions, one transaction) against a plain COPY of the same rows into a like table."""
    return asyncio.run(_projection_writes(bench.dsn, bench.bootstrap, limit))


# --- rebuild ----------------------------------------------------------------------------


def fill_accepted_log(
    bench: BenchStack, templates: Sequence[dict[str, Any]], count: int, *, progress: Progress
) -> int:
    """``count`` more events (the templates with fresh event ids) straight onto the log."""
    from ops.bench.load import producer

    sender = producer(bench.bootstrap)
    try:
        for i in range(count):
            template = templates[i % len(templates)]
            event_id = uuid.uuid4()
            value = codec.encode(str(template["event_type"]), {**template, "event_id": event_id})
            sender.send(ACCEPTED, key=str(event_id).encode(), value=value)
            if i % 2000 == 0:
                progress(i, count)
        sender.flush()
        progress(count, count)
    finally:
        sender.close()
    return count


def rebuild(bench: BenchStack, *, progress: Progress) -> dict[str, Any]:
    """Every projection replayed from the start of its topics into fresh tables and swapped in,
    side by side as `hub projections rebuild` does (one process per core)."""
    names = registry.names()
    board: dict[str, tuple[int, int]] = {}

    def each(name: str, done: int, total: int) -> None:
        board[name] = (done, total)
        progress(sum(d for d, _ in board.values()), sum(t for _, t in board.values()))

    workers = os.cpu_count() or 1
    started = time.monotonic()
    results = rebuild_all(bench.dsn, bench.bootstrap, names, workers=workers, progress=each)
    seconds = time.monotonic() - started
    per = {r.projection: {"records": r.records, "seconds": round(r.seconds, 3)} for r in results}
    records = sum(r.records for r in results)
    # The target's unit: events on the log per second of rebuilding every projection. Records
    # count an event once per projection that reads it (five read the accepted log).
    events = int(per["accepted_events"]["records"])
    return {
        "events": events,
        "records": records,
        "workers": workers,
        "seconds": round(seconds, 3),
        "events_per_s": round(events / seconds, 1) if seconds else 0.0,
        "records_per_s": round(records / seconds, 1) if seconds else 0.0,
        "by_projection": per,
    }


# --- end-to-end latency under background load -----------------------------------------


def _probe_template(
    bench: BenchStack, events: Sequence[dict[str, Any]]
) -> tuple[dict[str, Any], str, str]:
    """An incident whose alert went to an organisation with a demo login, preferring the one
    with the fewest alerts (each look at an inbox audits every child it shows), and that
    inbox: (incident, the reader's person id, the inbox URL path)."""
    readers: dict[str, tuple[str, str]] = {}
    for login in bench.logins():
        for organisation in login["alert_organisations"]:
            path = (
                f"/v1/schools/{organisation}/alerts"
                if login["role"] == "SCHOOL_DSL"
                else "/v1/alerts"
            )
            readers.setdefault(organisation, (str(login["person_id"]), path))
    with psycopg.connect(bench.dsn) as conn:
        found = conn.execute(
            "SELECT organisation_id, min(police_reference), count(*) FROM encompass_alerts "
            "WHERE organisation_id = ANY(%s) GROUP BY organisation_id ORDER BY 3, 1",
            (sorted(readers),),
        ).fetchall()
    incidents = {
        str(e["police_reference"]): e for e in events if e["event_type"] == "IncidentRecorded"
    }
    for organisation, reference, _count in found:
        if reference in incidents:
            person, path = readers[organisation]
            return incidents[reference], person, path
    raise RuntimeError("no Encompass alert in an inbox with a demo login: nothing to probe with")


def _probe_reference(template: dict[str, Any], tag: str, number: int) -> str:
    return f"{template['police_reference']}-{tag}{number:04d}"


def _probe(template: dict[str, Any], reference: str) -> Outgoing:
    record = copy.deepcopy(template)
    now = datetime.now(UTC)
    record["event_id"] = uuid.uuid4()
    record["police_reference"] = reference
    record["recorded_at"] = now
    record["occurred_at"] = now - timedelta(minutes=20)
    (out,), _refused = encode_all([record], now=now + timedelta(seconds=1))
    return out


async def _wait_visible(
    session: aiohttp.ClientSession, url: str, token: str, reference: str, timeout_s: float
) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as answer:
            body = await answer.json()
        if any(a["police_reference"] == reference for a in body.get("alerts", [])):
            return True
        await asyncio.sleep(0.01)
    return False


def latency(
    bench: BenchStack,
    scenario_events: Sequence[dict[str, Any]],
    background: Sequence[Outgoing],
    *,
    probes: int,
    rate: float,
    progress: Progress,
    probe_timeout_s: float = 30.0,
    budget_s: float = 180.0,
    tag: str = "P",
) -> dict[str, Any]:
    """IncidentRecorded produced -> its alert in the Key Adult's inbox (GET /v1/schools/{urn}/
    alerts), one probe at a time, while ``background`` events flow at ``rate`` per second.
    Probing stops after ``budget_s`` (a pipeline slower than the background load falls ever
    further behind, and each probe then waits for the whole backlog). ``tag`` keeps one run's
    probe references apart from another's."""
    template, reader, path = _probe_template(bench, scenario_events)
    token = bench.token(reader)
    url = f"{bench.api_url}{path}"
    stopping = threading.Event()
    sent_background = [0]

    def load() -> None:
        sent_background[0] = produce(bench.bootstrap, background, rate=rate, stop=stopping.is_set)

    loader = threading.Thread(target=load, name="bench-background", daemon=True)
    loader.start()
    seen: list[float] = []
    timed_out = 0
    from ops.bench.load import producer

    async def run() -> None:
        nonlocal timed_out
        sender = producer(bench.bootstrap)
        rng = random.Random(7)  # noqa: S311 (pacing, not secrets)
        try:
            async with aiohttp.ClientSession() as session:
                await asyncio.sleep(1.0)  # let the background load reach its rate
                deadline = time.monotonic() + budget_s
                for number in range(probes):
                    if time.monotonic() > deadline:
                        break
                    reference = _probe_reference(template, tag, number)
                    probe = _probe(template, reference)
                    started = time.perf_counter()
                    sender.send(probe.topic, key=probe.key, value=probe.value)
                    sender.flush()
                    if await _wait_visible(session, url, token, reference, probe_timeout_s):
                        seen.append(time.perf_counter() - started)
                    else:
                        timed_out += 1
                    progress(number + 1, probes)
                    await asyncio.sleep(rng.uniform(0.05, 0.2))
        finally:
            sender.close()

    began = time.monotonic()
    try:
        asyncio.run(run())
    finally:
        stopping.set()
        loader.join(timeout=60)
    elapsed = time.monotonic() - began
    millis = [s * 1000 for s in seen]
    return {
        "probes": len(seen) + timed_out,
        "probes_planned": probes,
        "seen": len(seen),
        "timed_out": timed_out,
        # None when no probe was seen within probe_timeout_s (the backlog grew faster).
        "p50_ms": round(percentile(millis, 50), 1) if millis else None,
        "p99_ms": round(percentile(millis, 99), 1) if millis else None,
        "max_ms": round(max(millis), 1) if millis else None,
        "mean_ms": round(statistics.fmean(millis), 1) if millis else None,
        "probe_timeout_ms": probe_timeout_s * 1000,
        "background_target_per_s": rate,
        "background_sent_per_s": round(sent_background[0] / elapsed, 1),
        "inbox_probed": path,
    }


# --- read API: a long chronology under concurrent users -------------------------------


def _chronology_template(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    for event in events:
        if event["event_type"] in ("ConcernRaised", "VisitRecorded") and [
            s["role"] for s in event["subjects"]
        ] == ["CHILD"]:
            return event
    raise RuntimeError("no single-child concern or visit in the scenario")


def seed_chronology(
    bench: BenchStack, events: Sequence[dict[str, Any]], entries: int, *, timeout_s: float
) -> str:
    """``entries`` events about one child through the pipeline; the child's id once they are
    all in its chronology. Each has its own text, so each is sealed to its own tokens and a
    read opens every one of them (copies would share two tokens and flatter the read)."""
    template = _chronology_template(events)
    clones = []
    for i in range(entries):
        record = copy.deepcopy(template)
        record["event_id"] = uuid.uuid4()
        record["occurred_at"] = template["recorded_at"] - timedelta(hours=6 * (i + 1))
        for text in ("summary", "action_taken"):
            if record.get(text):
                record[text] = f"{record[text]} (entry {i + 1} of {entries})"
        clones.append(record)
    outgoing, refused = encode_all(clones)
    if refused:
        raise RuntimeError(f"{refused} chronology events were refused locally")
    produce(bench.bootstrap, outgoing)
    ids = [str(c["event_id"]) for c in clones]
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(bench.dsn, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT min(record_id), count(*) FROM chronology_events "
                "WHERE event_id = ANY(%s::uuid[])",
                (ids,),
            ).fetchone()
            if row and row[1] >= entries:
                child = conn.execute(
                    "SELECT child_id FROM child_records WHERE record_id = %s "
                    "ORDER BY logged_at DESC, fact_rank DESC LIMIT 1",
                    (row[0],),
                ).fetchone()
                if child:
                    return str(child[0])
            if time.monotonic() > deadline:
                raise TimeoutError("the seeded chronology did not reach the read model")
            time.sleep(0.25)


def read_api(
    bench: BenchStack, child_id: str, *, users: int, seconds: float, progress: Progress
) -> tuple[dict[str, Any], bytes]:
    """``users`` concurrent readers (each one request at a time) of the child's chronology as
    the DPO, for ``seconds``; every read is audited (RecordViewed, acks=all) as in production.
    The figures, and the bytes of one answer (what the HTTP floor serves)."""
    figures, answer = readers(
        f"{bench.api_url}/v1/children/{child_id}/chronology",
        params={"reason": "benchmark: auditing a long chronology"},
        headers={"Authorization": f"Bearer {bench.token('dpo-1')}"},
        users=users,
        seconds=seconds,
        progress=progress,
    )
    figures["entries"] = len(json.loads(answer)["entries"]) if answer else 0
    return figures, answer


def readers(
    url: str,
    *,
    params: dict[str, str],
    headers: dict[str, str],
    users: int,
    seconds: float,
    progress: Progress,
) -> tuple[dict[str, Any], bytes]:
    """``users`` closed-loop readers of `url` for ``seconds`` after a half-second warm-up: the
    figures, and the body of a 200 answer (empty if there was none)."""
    latencies: list[float] = []
    errors = 0
    answer = b""

    async def user(session: aiohttp.ClientSession, until: float) -> None:
        nonlocal errors, answer
        while time.monotonic() < until:
            started = time.perf_counter()
            async with session.get(url, params=params, headers=headers) as response:
                body = await response.read()
                status = response.status
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors += 1
            elif not answer:
                answer = body

    async def run() -> float:
        nonlocal errors
        connector = aiohttp.TCPConnector(limit=users)
        async with aiohttp.ClientSession(connector=connector) as session:
            # A warm-up round (connections, the API's pool), not measured.
            await asyncio.gather(*(user(session, time.monotonic() + 0.5) for _ in range(users)))
            latencies.clear()
            errors = 0
            started = time.monotonic()
            until = started + seconds

            async def tick() -> None:
                while time.monotonic() < until:
                    progress(int(time.monotonic() - started), int(seconds))
                    await asyncio.sleep(0.5)

            await asyncio.gather(tick(), *(user(session, until) for _ in range(users)))
            return time.monotonic() - started

    elapsed = asyncio.run(run())
    millis = [s * 1000 for s in latencies]
    figures = {
        "users": users,
        "requests": len(millis),
        "errors": errors,
        "requests_per_s": round(len(millis) / elapsed, 1),
        "p50_ms": round(percentile(millis, 50), 1),
        "p99_ms": round(percentile(millis, 99), 1),
        "max_ms": round(max(millis), 1) if millis else 0.0,
    }
    return figures, answer

"""Operation Encompass against the real broker, a real worker and PostgreSQL.

A simulated week (dozens of domestic abuse incidents) published as agencies would: exactly one
notification per linked child per incident, each to the expected recipient with the expected
deadline; re-notifications update instead of duplicating; content stays on the allow-list; an
unacknowledged notification escalates when the worker's clock is moved past deadline + 1 h,
and an acknowledged one does not.

The worker is the session's: the test gives it a synthetic area file and moves its clock
through HUB_STATE_DIR (streams.clock), and puts both back afterwards. Enrolments are published
first and waited for on the spine, then originals, then re-notifications: across the accepted
log's partitions the hub does not promise arrival order, and a notification is routed on what
the hub knew when it arrived (see streams/agents/encompass.py).
"""

from __future__ import annotations

import asyncio
import random
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from ops.publish import publish_file
from projections import encompass_alerts, store, tables
from projections.model import Projection
from projections.runner import ProjectionRunner, RunnerConfig
from schemas import codec
from schemas.topics import ENCOMPASS
from streams import spine
from streams.agents.encompass import STATE_AREA_FILE, by_record_topic
from streams.clock import set_offset
from streams.encompass import wire
from streams.encompass.area import Area, write_synthetic_area
from streams.encompass.calendar import LONDON, deadline_for
from streams.encompass.content import ALLOWED_FIELDS
from streams.erasure.keyring import Keyring
from streams.identity.identifiers import nhs_check_digit
from streams.keystore import open_keyring
from streams.simulation import Options, Scenario, generate, to_lines
from tests.conftest import Stack, Worker
from tests.integration.kafka_helpers import header, read_until

# Behind a shared session worker that may still be draining earlier tests' histories.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

ENROLMENT_TYPES = ("PupilEnrolled", "PupilLeft")
COORDINATOR = "stockton-encompass-coordinator"


@dataclass(frozen=True, slots=True)
class Expected:
    """One notification the hub must issue."""

    police_reference: str
    child_key: str
    name: str
    date_of_birth: date
    recipients: frozenset[str]  # acceptable accountable organisations (one unless uncertain)
    deadlines: frozenset[datetime]


@pytest.fixture
def alerts(stack: Stack, unique_name: str) -> Iterator[Projection]:
    """A side-by-side copy of the encompass_alerts projection, dropped afterwards."""
    suffix = f"__{unique_name}"
    base = encompass_alerts.PROJECTION
    asyncio.run(tables.ensure_instances(stack.dsn, [base], suffix))
    copy = base.renamed(suffix)
    try:
        yield copy
    finally:

        async def drop() -> None:
            async with await store.connect(stack.dsn, application_name="test-cleanup") as conn:
                await tables.drop_copies(conn, copy)

        asyncio.run(drop())


@pytest.fixture
def area_and_clock(stack: Stack) -> Iterator[Path]:
    """The worker's area file and clock, put back (example area, real time) afterwards."""
    path = stack.root / STATE_AREA_FILE
    try:
        yield path
    finally:
        set_offset(stack.root, None)
        path.unlink(missing_ok=True)


class _Isolated:
    """Fresh identifiers for one history: the generator hands NHS numbers, police person
    references and LA child ids out in order from fixed starts, so two histories published
    in one session would share children. Each value maps to a new one from a random block."""

    def __init__(self, rng: random.Random) -> None:
        self.nhs = rng.randrange(200_000, 900_000, 10_000)
        self.police = rng.randrange(3_000_000, 9_000_000, 100_000)
        self.la = rng.randrange(200_000, 900_000, 10_000)
        self.mapped: dict[tuple[str, str], str] = {}

    def _new(self, field: str) -> str:
        if field == "nhs_number":
            while True:
                nine = f"999{self.nhs:06d}"
                self.nhs += 1
                check = nhs_check_digit(nine)
                if check is not None:
                    return f"{nine}{check}"
        if field == "police_person_ref":
            self.police += 1
            return f"PP-{self.police}"
        self.la += 1
        return f"LA{self.la}"

    def value(self, field: str, old: str | None) -> str | None:
        if old is None:
            return None
        if (field, old) not in self.mapped:
            self.mapped[(field, old)] = self._new(field)
        return self.mapped[(field, old)]

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        out = dict(event)
        out["subjects"] = [dict(s) for s in out["subjects"]]
        for holder in (out, *out["subjects"]):
            for field in ("nhs_number", "police_person_ref", "la_child_id"):
                if field in holder:
                    holder[field] = self.value(field, holder[field])
        return out


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _expectations(scenario: Scenario, area: Area) -> list[Expected]:
    """From the manifest and the published incidents, independently of the hub's routing."""
    manifest = scenario.manifest
    by_id = {str(e["event_id"]): e for e in scenario.events}
    withheld = {(w["child_key"], w["urn"]) for w in manifest.withheld_enrolments}
    ambiguous = {a.child_key for a in manifest.ambiguities}
    period = (manifest.start, manifest.start + timedelta(days=manifest.days))
    out = []
    for truth in manifest.incidents:
        if not truth.domestic_abuse:
            continue
        first = by_id[truth.event_ids[0]]
        recorded = first["recorded_at"]
        # A re-notification is routed on the day it is recorded: a child who changed school in
        # between is re-notified at the new one (the deadline still runs from the first).
        days = {by_id[i]["recorded_at"].astimezone(LONDON).date() for i in truth.event_ids}
        for linked, key in zip(first["children"], truth.child_keys, strict=True):
            child = manifest.child(key)
            moved = any(period[0] <= s["start"] < period[1] for s in child.spells)
            options: set[str | None] = {
                _recipient(spell, key, withheld, area, child.date_of_birth, day)
                for spell in child.spells
                for day in days
                if spell["start"] <= day and (moved or spell["end"] is None or day <= spell["end"])
            }
            if not options or moved or key in ambiguous:
                # No school on the day; a move this week whose leaving or joining may be
                # recorded after the period; or a record only demographics could join.
                options.add(None)
            out.append(
                Expected(
                    police_reference=truth.police_reference,
                    child_key=key,
                    name=f"{linked['given_name']} {linked['family_name']}",
                    date_of_birth=linked["date_of_birth"],
                    recipients=frozenset(o or COORDINATOR for o in options),
                    deadlines=frozenset(
                        deadline_for(recorded, area.calendar_for(o)) for o in options
                    ),
                )
            )
    return out


def _recipient(
    spell: dict[str, Any],
    key: str,
    withheld: set[tuple[str, str]],
    area: Area,
    born: date,
    day: date,
) -> str | None:
    """The accountable URN for a spell (None: the coordinator), by the DOMAIN.md rules."""
    urn = spell["urn"]
    if urn is None or (key, urn) in withheld:
        return None  # home educated, or the hub was never told of the enrolment
    setting = area.config.settings[urn]
    if setting.key_adult is None:
        return None  # cannot receive: the coordinator, with an escalation
    if setting.kind.value == "early_years" and _age(born, day) > 4:
        return None
    return str(urn)


def _publish(stack: Stack, tmp_path: Path, name: str, events: Sequence[dict[str, Any]]) -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(to_lines(events)), encoding="utf-8")
    summary = publish_file(path, bootstrap=stack.bootstrap, now=datetime.now(UTC))
    assert summary.sent == len(events), summary.rejected[:3]


def _await_on_spine(stack: Stack, event_ids: set[str]) -> None:
    """Until every event has reached the spine (so the stage sees later events after them)."""
    seen: set[str] = set()

    def keep(record: Any) -> bool:
        event_id = header(record, spine.EVENT_ID)
        if event_id in event_ids:
            seen.add(event_id)
        return False

    read_until(
        stack.bootstrap,
        spine.by_child_topic("hub"),
        lambda _kept: seen >= event_ids,
        keep=keep,
        timeout_s=600,
    )


def _project_until(stack: Stack, projection: Projection, sql: str, params: tuple[Any, ...]) -> None:
    """Run the projection until `sql` (a boolean query) holds, polling its rows."""

    async def scenario() -> None:
        config = RunnerConfig(bootstrap=stack.bootstrap, dsn=stack.dsn, max_wait_ms=100)
        runner = ProjectionRunner(projection, config)
        task = asyncio.create_task(runner.run())
        try:
            async with await store.connect(stack.dsn, application_name="test-wait") as conn:
                deadline = time.monotonic() + 600
                while True:
                    row = await (await conn.execute(sql, params)).fetchone()
                    if row is not None and row[0]:
                        return
                    if time.monotonic() > deadline:
                        raise AssertionError(f"not met after 600s: {sql}")
                    await asyncio.sleep(0.5)  # polling the rows, not waiting blindly
        finally:
            runner.stop()
            await task

    asyncio.run(scenario())


def _worker_counts(url: str) -> tuple[Counter[str], Counter[str]]:
    """(issued, delivered on time) per organisation, scraped from the worker's /metrics."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback test URL)
        text = response.read().decode()
    issued: Counter[str] = Counter()
    on_time: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            organisation = sample.labels.get("organisation", "")
            if sample.name == "hub_encompass_notifications_issued_total":
                issued[organisation] += int(sample.value)
            elif (
                sample.name == "hub_encompass_delivered_total"
                and sample.labels["on_time"] == "true"
            ):
                on_time[organisation] += int(sample.value)
    return issued, on_time


@pytest.fixture
def ring(stack: Stack) -> Iterator[Keyring]:
    """The key store's keyring, to read sealed notification content (docs/ERASURE.md)."""
    with open_keyring(stack.dsn) as opened:
        yield opened


def test_a_simulated_week_notifies_every_linked_child_once_to_the_right_recipient(
    stack: Stack,
    worker: Worker,
    alerts: Projection,
    area_and_clock: Path,
    tmp_path: Path,
    ring: Keyring,
) -> None:
    rng = random.Random()
    # Police references depend on dates: a random week keeps this one apart from others'.
    start = date(2023, 1, 2) + timedelta(weeks=rng.randrange(150))
    scenario = generate(
        rng.randrange(2**31),
        children=1200,
        schools=8,
        days=7,
        start=start,
        options=Options(incident_rate=0.05, renotification_share=0.15),
    )
    area = write_synthetic_area(scenario.manifest.schools, area_and_clock, seed=1)
    # The worker's clock at the start of the week: no deadline has passed yet.
    week_start = datetime.combine(start, datetime.min.time(), LONDON).astimezone(UTC)
    set_offset(stack.root, week_start - datetime.now(UTC))

    expected = _expectations(scenario, area)
    assert len({e.police_reference for e in expected}) >= 150, (
        "a few hundred incidents, most of them domestic abuse"
    )
    firsts = {i.event_ids[0] for i in scenario.manifest.incidents}
    repeats = {e for i in scenario.manifest.incidents for e in i.event_ids[1:]}
    assert repeats, "some incidents are notified again"
    isolated = _Isolated(rng)
    events = [isolated.event(e) for e in scenario.events]
    is_incident = [e["event_type"] == "IncidentRecorded" for e in events]
    background = [e for e, inc in zip(events, is_incident, strict=True) if not inc]
    _publish(stack, tmp_path, "background", background)
    _await_on_spine(
        stack, {str(e["event_id"]) for e in background if e["event_type"] in ENROLMENT_TYPES}
    )
    _publish(stack, tmp_path, "incidents", [e for e in events if str(e["event_id"]) in firsts])
    _await_on_spine(stack, firsts)
    _publish(stack, tmp_path, "renotified", [e for e in events if str(e["event_id"]) in repeats])

    references = sorted({e.police_reference for e in expected})
    table = alerts.tables[0].name
    renotified_refs = sorted(
        {i.police_reference for i in scenario.manifest.incidents if len(i.event_ids) > 1}
        & set(references)
    )
    want_revised = sum(1 for e in expected if e.police_reference in renotified_refs)
    _project_until(
        stack,
        alerts,
        f"SELECT count(*) = %s AND count(*) FILTER (WHERE revision = 2 "  # noqa: S608
        f'AND police_reference = ANY(%s)) = %s FROM "{table}" WHERE police_reference = ANY(%s)',
        (len(expected), renotified_refs, want_revised, references),
    )
    with psycopg.connect(stack.dsn) as conn:
        rows = conn.execute(
            "SELECT police_reference, record_id, organisation_id, route_reason, deadline, "  # noqa: S608
            f'content, revision, escalated_at, deadline_missed_at FROM "{table}" '
            "WHERE police_reference = ANY(%s)",
            (references,),
        ).fetchall()
    by_child = {
        # The name travels sealed (docs/ERASURE.md): the read API reveals it, as here.
        (
            r[0],
            ring.reveal_text(r[5]["child_name"]),
            date.fromisoformat(r[5]["child_date_of_birth"]),
        ): r
        for r in rows
    }
    # Exactly one notification per linked child per incident (twins aside, names differ).
    assert len(rows) == len(expected) == len(by_child)
    uncertain = 0
    for e in expected:
        row = by_child[(e.police_reference, e.name, e.date_of_birth)]
        assert set(row[5]) <= ALLOWED_FIELDS
        assert row[8] is None, "delivered before the deadline"
        assert row[2] in e.recipients, (e, row[2], row[3])
        assert row[4] in e.deadlines, (e, row[4])
        uncertain += len(e.recipients) > 1
        if row[3] in ("no_key_adult", "unknown_setting"):
            assert row[7] is not None, "a setting that cannot receive escalates at once"
    assert uncertain < len(expected) / 4, "most expectations are exact"

    # The worker counts them by organisation (a school or the coordinator, never a person). The
    # session's worker also serves other tests, hence at least. A first issue is counted where
    # it went; a revision may have moved it, so only never-revised rows say where that was.
    first_issues = Counter(row[2] for row in rows if row[6] == 1)
    delivered = Counter(row[2] for row in rows)
    issued, on_time = _worker_counts(worker.metrics_url)
    for organisation, count in first_issues.items():
        assert issued[organisation] >= count, organisation
    for organisation, count in delivered.items():
        assert on_time[organisation] >= count, organisation
    withheld_children = {w["child_key"] for w in scenario.manifest.withheld_enrolments}
    rerouted = [
        e
        for e in expected
        if e.child_key in withheld_children and e.recipients == frozenset({COORDINATOR})
    ]
    assert rerouted, "the manifest plants incidents for children whose enrolment is withheld"
    assert all(
        by_child[(e.police_reference, e.name, e.date_of_birth)][2] == COORDINATOR for e in rerouted
    )
    print(
        f"\n{len(events)} events, {len(references)} DA incidents, {len(expected)} notifications, "
        f"{want_revised} revised, {len(rerouted)} withheld enrolments to the coordinator"
    )

    # Escalation: acknowledge the notification with the earliest deadline, then move the
    # clock just past the next deadline + 1 h. Every notification then due escalates except
    # the acknowledged one; none escalates before its deadline + 1 h.
    waiting = sorted((r for r in rows if r[7] is None), key=lambda r: r[4])
    acked, due_at = waiting[0], waiting[1][4] + timedelta(hours=1, seconds=1)
    ack_id = uuid.uuid4()
    ack = {
        "event_id": ack_id,
        "event_type": wire.ACKNOWLEDGED,
        "occurred_at": acked[4] - timedelta(minutes=10),
        "recorded_at": acked[4] - timedelta(minutes=10),
        "source": dict(wire.HUB_SOURCE),
        "subjects": [],
        "lawful_basis": None,
        "police_reference": acked[0],
        "record_id": acked[1],
        "organisation_id": acked[2],
        "acknowledged_by": "Key Adult (test)",
        "acknowledged_at": acked[4] - timedelta(minutes=10),
    }
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    try:
        producer.send(ENCOMPASS, key=acked[0].encode(), value=codec.encode(wire.ACKNOWLEDGED, ack))
        producer.flush()
    finally:
        producer.close()
    read_until(  # the ack is ahead of any timer event for that record on the fold's topic
        stack.bootstrap,
        by_record_topic("hub"),
        lambda kept: bool(kept),
        keep=lambda r: codec.decode(r.value).record["event_id"] == ack_id,
        timeout_s=60,
    )
    should = [r for r in waiting if r[4] + timedelta(hours=1) <= due_at and r is not acked]
    set_offset(stack.root, due_at - datetime.now(UTC))
    _project_until(
        stack,
        alerts,
        f"SELECT count(*) FILTER (WHERE escalated_at IS NOT NULL) = %s "  # noqa: S608
        f'AND count(*) FILTER (WHERE acknowledged_at IS NOT NULL) = 1 FROM "{table}" '
        "WHERE (police_reference, record_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
        (len(should), [r[0] for r in [*should, acked]], [r[1] for r in [*should, acked]]),
    )
    with psycopg.connect(stack.dsn) as conn:
        later = conn.execute(
            f'SELECT count(*) FROM "{table}" WHERE police_reference = ANY(%s) '  # noqa: S608
            "AND escalated_at IS NOT NULL AND route_reason = 'enrolled' AND deadline > %s",
            (references, due_at),
        ).fetchone()
        status = conn.execute(
            f'SELECT status, escalation_reason FROM "{table}" '  # noqa: S608
            "WHERE police_reference = %s AND record_id = %s",
            (acked[0], acked[1]),
        ).fetchone()
    assert later == (0,), "nothing escalates before its deadline + 1 h"
    assert status == ("acknowledged", None)

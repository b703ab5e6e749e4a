"""Referrals against the real broker, the session's worker and PostgreSQL.

A simulated month: every outcome reaches its referrer's view (ReferralOutcomeReturned,
projected); the planted overdue referrals (never answered) raise ReferralOverdue once the
worker's clock passes their deadlines, and nothing is raised before its deadline; every one of
the month's indicators reconciles exactly with counts computed here from the raw events. Where
a fact is the hub's own, it is read from the hub's logs, never from the tables under test:
which child a subject is (SubjectsResolved on hub.log.identity.v1) and where an Encompass
notification went (EncompassNotificationIssued on hub.log.encompass.v1; its deadline is
recomputed here with streams.encompass's `deadline_for`).

The simulated month holds re-referrals (families referred in the year before and again in the
month) and referrals to the front door while an early help assessment is open. A few domestic
abuse incidents are held back and published only after the worker's clock has passed their
Encompass deadlines, so the month has late notifications as well as notifications on time.

The worker's clock is moved through HUB_STATE_DIR (streams.clock) and put back afterwards, as is
its Encompass area file. The month is drawn from 2018-2020, away from other tests' histories
(see FIRST_YEAR); identifiers, referral ids and assessment ids are made unique to this run. The
indicators count everything the session's stack holds for the month, so the test also checks
that nothing but its own history is in the month before reconciling.
"""

from __future__ import annotations

import asyncio
import random
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ops.publish import publish_file
from projections import referrals, reporting, store, tables
from projections.model import Projection
from projections.reporting.queries import month_counts
from projections.runner import ProjectionRunner, RunnerConfig
from schemas import codec
from schemas.topics import ENCOMPASS, IDENTITY
from streams.agents.encompass import STATE_AREA_FILE
from streams.clock import set_offset
from streams.encompass.area import Area, write_synthetic_area
from streams.encompass.calendar import deadline_for
from streams.referrals.rules import Destination, load_rules
from streams.referrals.workhours import add_working_time
from streams.simulation import Options, generate, to_lines
from tests.conftest import Stack, Worker
from tests.integration.kafka_helpers import read_until
from tests.integration.test_encompass_stage import _Isolated

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

RULES = load_rules()
LONDON_MIDNIGHT = datetime.min.time()
# Small enough to run in a few minutes, with every indicator non-empty: more families open to
# early help and referred before than the defaults, so both join-based indicators have cases.
CHILDREN = 500
OPTIONS = Options(
    open_early_help_share=0.08, early_help_referral_share=0.5, previous_referral_share=0.08
)
HELD_BACK = 3  # domestic abuse incidents published after their Encompass deadlines
LABELS = {"destination", "reason", "timer", "outcome"}
# The month is drawn from FIRST_YEAR .. FIRST_YEAR + YEARS - 1. The indicators count the whole
# month of the session's stack, and other integration tests simulate periods from 2022-01-03 on
# whose back-dated baseline reaches into 2021 (police referrals made up to 330 days before a
# period, early help assessments opened up to about 150 days before): a month in 2021 counted
# their PiTstop referral or assessment as well (the "off-by-one"). The unit test
# tests/unit/test_referral_month_window.py keeps that bound; `_assert_only_ours` names any
# history that reaches the month anyway.
FIRST_YEAR = 2018
YEARS = 3
Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Month:
    """The month under test and what the test published."""

    name: str
    start: datetime  # UTC instants of the London month's bounds
    end: datetime
    events: list[dict[str, Any]]  # published first
    late: list[dict[str, Any]]  # the held-back incidents, published after their deadlines
    planted: set[str]  # referral ids the simulator never answers

    def within(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@pytest.fixture
def copies(stack: Stack, unique_name: str) -> Iterator[tuple[str, list[Projection]]]:
    """Side-by-side copies of the referrals and reporting projections, dropped afterwards; the
    worker's clock and area file are put back too."""
    suffix = f"__{unique_name}"
    bases = [referrals.PROJECTION, reporting.PROJECTION]
    asyncio.run(tables.ensure_instances(stack.dsn, bases, suffix))
    made = [b.renamed(suffix) for b in bases]
    try:
        yield suffix, made
    finally:

        async def drop() -> None:
            async with await store.connect(stack.dsn, application_name="test-cleanup") as conn:
                for copy in made:
                    await tables.drop_copies(conn, copy)

        asyncio.run(drop())
        set_offset(stack.root, None)
        (stack.root / STATE_AREA_FILE).unlink(missing_ok=True)


async def _project_until(
    stack: Stack, projections: list[Projection], sql: str, params: Any
) -> None:
    config = RunnerConfig(bootstrap=stack.bootstrap, dsn=stack.dsn, max_wait_ms=100)
    runners = [ProjectionRunner(p, config) for p in projections]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    try:
        async with await store.connect(stack.dsn, application_name="test-wait") as conn:
            deadline = time.monotonic() + 600
            while True:
                row = await (await conn.execute(sql, params)).fetchone()
                if row is not None and row[0]:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"not met after 600s: {sql} {row}")
                await asyncio.sleep(0.5)
    finally:
        for r in runners:
            r.stop()
        await asyncio.gather(*tasks)


def _rows(stack: Stack, sql: str, params: Any) -> list[tuple[Any, ...]]:
    async def read() -> list[tuple[Any, ...]]:
        async with await store.connect(stack.dsn, application_name="test-read") as conn:
            return list(await (await conn.execute(sql, params)).fetchall())

    return asyncio.run(read())


def _expected_overdue(
    made: dict[str, dict[str, Any]], outcomes: dict[str, datetime], now: datetime
) -> set[tuple[str, str, datetime]]:
    """(referral, timer, deadline) missed by `now`: computed here from the raw events.

    The simulator publishes no acknowledgements or ratings: a referral is acknowledged and
    decided by its outcome, if any; every simulated referral is routed as named.
    """
    found = set()
    for referral_id, event in made.items():
        limits = RULES.destinations[Destination(event["destination"])]
        met = outcomes.get(referral_id)
        for timer, within in (
            ("ACKNOWLEDGEMENT", limits.acknowledge_within),
            ("DECISION", limits.decide_within),
        ):
            due = add_working_time(event["occurred_at"], within, RULES.calendar)
            if due <= now and (met is None or met > due):
                found.add((referral_id, timer, due))
    return found


def _month(stack: Stack, rng: random.Random, prefix: str) -> tuple[Month, Area]:
    """Generate, isolate and split the month; write the Encompass area for its schools.

    Months are drawn until one has what the test checks: an unanswered referral planted (the
    simulator plants them by chance) and enough notified incidents in its first three weeks to
    hold some back."""
    for _attempt in range(50):
        first = date(FIRST_YEAR + rng.randrange(YEARS), 1 + rng.randrange(12), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        scenario = generate(
            rng.randrange(2**31),
            children=CHILDREN,
            schools=6,
            days=(following - first).days,
            start=first,
            options=OPTIONS,
        )
        start = datetime.combine(first, LONDON_MIDNIGHT, RULES.calendar.zone).astimezone(UTC)
        if (
            scenario.manifest.overdue_referrals
            and len(_early_incidents(scenario.events, start)) >= HELD_BACK
        ):
            break
    else:
        raise AssertionError("50 simulated months without a planted unanswered referral")
    area = write_synthetic_area(scenario.manifest.schools, stack.root / STATE_AREA_FILE, seed=3)
    isolated = _Isolated(rng)
    events = []
    for original in scenario.events:
        event = isolated.event(original)
        for field in ("referral_id", "assessment_id"):
            if field in event:
                event[field] = f"{prefix}-{event[field]}"
        events.append(event)
    end = datetime.combine(following, LONDON_MIDNIGHT, RULES.calendar.zone).astimezone(UTC)
    # Held back: whole incidents (original and re-notifications) from the first three weeks,
    # so their deadlines have passed when the clock is moved on.
    held = set(rng.sample(sorted(_early_incidents(events, start)), HELD_BACK))
    late = [e for e in events if e.get("police_reference") in held]
    kept = [e for e in events if e.get("police_reference") not in held]
    planted = {f"{prefix}-{r.referral_id}" for r in scenario.manifest.overdue_referrals}
    return Month(first.strftime("%Y-%m"), start, end, kept, late, planted), area


def _early_incidents(events: list[dict[str, Any]], start: datetime) -> set[str]:
    """Police references of the domestic abuse incidents in the month's first three weeks."""
    return {
        e["police_reference"]
        for e in events
        if e["event_type"] == "IncidentRecorded"
        and e["domestic_abuse"]
        and start <= e["occurred_at"] < start + timedelta(days=21)
    }


def _publish(stack: Stack, events: list[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(to_lines(events)), encoding="utf-8")
    summary = publish_file(path, bootstrap=stack.bootstrap, now=datetime.now(UTC))
    assert summary.sent == len(events), summary.rejected[:3]


def _children_of(stack: Stack, event_ids: set[str]) -> dict[str, list[str]]:
    """Source event id -> the hub child id of each subject it resolved (SubjectsResolved)."""
    found: dict[str, list[str]] = {}

    def keep(record: Any) -> bool:
        decoded = codec.decode(record.value)
        if decoded.event_type != "SubjectsResolved":
            return False
        source = str(decoded.record["source_event_id"])
        if source not in event_ids or source in found:
            return False
        found[source] = [r["child_id"] for r in decoded.record["resolutions"]]
        return True

    read_until(
        stack.bootstrap,
        IDENTITY,
        lambda _kept: len(found) == len(event_ids),
        keep=keep,
        timeout_s=300,
    )
    return found


def _notifications(
    stack: Stack, incidents: dict[str, tuple[int, datetime]], area: Area
) -> dict[tuple[str, str], tuple[str, datetime]]:
    """(police reference, record id) -> (the accountable organisation at first issue, the
    deadline the latest revision has), read until every notification is there and has the
    deadline computed here: the latest recipient's calendar from the incident's first
    recording (a re-notification recorded after the child changed school goes to the new one).
    """
    expected = sum(n for n, _ in incidents.values())
    first: dict[tuple[str, str], str] = {}
    latest: dict[tuple[str, str], tuple[int, datetime, str]] = {}

    def keep(record: Any) -> bool:
        if record.key is None or record.key.decode() not in incidents:
            return False
        decoded = codec.decode(record.value)
        if decoded.event_type != "EncompassNotificationIssued":
            return False
        e = decoded.record
        key = (e["police_reference"], e["record_id"])
        if e["revision"] == 1:
            first[key] = e["recipients"][0]["organisation_id"]
        if key not in latest or e["revision"] > latest[key][0]:
            latest[key] = (e["revision"], e["deadline"], e["recipients"][0]["organisation_id"])
        return True

    def done(_kept: list[Any]) -> bool:
        return len(first) == expected and all(
            key in latest
            and latest[key][1] == deadline_for(incidents[key[0]][1], area.calendar_for(org))
            for key, (_, _, org) in latest.items()
        )

    read_until(stack.bootstrap, ENCOMPASS, done, keep=keep, timeout_s=300)
    return {key: (org, latest[key][1]) for key, org in first.items()}


def _worker_counts(url: str) -> Counter[str]:
    """The referral counters scraped from the worker's /metrics, summed over their labels."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback test URL)
        text = response.read().decode()
    totals: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("hub_referral") and sample.name.endswith("_total"):
                assert set(sample.labels) <= LABELS, "enums only: never an id or a person"
                totals[sample.name] += int(sample.value)
    return totals


def test_a_simulated_month_closes_every_loop_flags_overdue_on_time_and_reconciles(
    stack: Stack, worker: Worker, copies: tuple[str, list[Projection]], tmp_path: Path
) -> None:
    suffix, projections = copies
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    month, area = _month(stack, rng, suffix.strip("_"))
    everything = month.events + month.late
    made = {e["referral_id"]: e for e in everything if e["event_type"] == "ReferralMade"}
    outcome_events = [e for e in everything if e["event_type"] == "ReferralOutcomeRecorded"]
    outcomes = {e["referral_id"]: e["occurred_at"] for e in outcome_events}
    outcome_of = {e["referral_id"]: e["outcome"] for e in outcome_events}
    planted = month.planted
    assert len(made) >= 40, "a month of referrals"
    assert planted, "the simulator plants referrals that are never answered"
    assert not planted & set(outcomes)
    before = _worker_counts(worker.metrics_url)

    # The worker's clock before the first referral (some were made in the year before the
    # month): nothing is due while the month is being processed.
    main_clock = min(e["occurred_at"] for e in made.values()) - timedelta(days=1)
    set_offset(stack.root, main_clock - datetime.now(UTC))
    _publish(stack, month.events, tmp_path / "month.jsonl")

    table = f'"referrals{suffix}"'
    ids = sorted(made)
    asyncio.run(
        _project_until(
            stack,
            projections,
            f"SELECT count(*) FILTER (WHERE made_at IS NOT NULL AND receiving_agency_id IS NOT "  # noqa: S608
            f"NULL) = %s AND count(*) FILTER (WHERE outcome_returned_at IS NOT NULL) = %s "
            f"FROM {table} WHERE referral_id = ANY(%s)",
            (len(made), len(outcomes), ids),
        )
    )

    # The closed loop: every outcome is in its referrer's view, returned to that referrer.
    viewed = _rows(
        stack,
        f"SELECT referral_id, referrer_agency_id, outcome, outcome_returned_at, overdue_at, "  # noqa: S608
        f"receiving_agency_id FROM {table} WHERE referral_id = ANY(%s)",
        (ids,),
    )
    by_id = {r[0]: r for r in viewed}
    for e in outcome_events:
        row = by_id[e["referral_id"]]
        assert row[1] == made[e["referral_id"]]["source"]["agency_id"]
        assert row[2] == e["outcome"]
        assert row[3] is not None
    assert all(by_id[r][2] is None for r in planted)
    assert all(r[4] is None for r in viewed), "nothing is overdue before its deadline"

    overdue = f'"referral_overdue{suffix}"'
    seen_sql = (
        f"SELECT referral_id, timer, deadline, detected_at FROM {overdue} "  # noqa: S608
        "WHERE referral_id = ANY(%s)"
    )
    # Mid-month: exactly what is due by then is raised, nothing due later.
    late_clock = month.start + timedelta(days=75)
    for now in (month.start + timedelta(days=14, hours=11), late_clock):
        missed = _expected_overdue(made, outcomes, now)
        set_offset(stack.root, now - datetime.now(UTC))
        asyncio.run(
            _project_until(
                stack,
                projections,
                f"SELECT count(*) = %s FROM {overdue} WHERE referral_id = ANY(%s)",  # noqa: S608
                (len(missed), ids),
            )
        )
        raised = _rows(stack, seen_sql, (ids,))
        assert {(r[0], r[1], r[2]) for r in raised} == missed
        assert all(r[3] >= r[2] for r in raised), "raised at or after the deadline, never before"
    assert planted <= {r[0] for r in raised if r[1] == "DECISION"}, "every planted one is overdue"

    # Past every deadline in the month: the held-back incidents' notifications are late.
    _publish(stack, month.late, tmp_path / "late.jsonl")
    incidents = _incidents(month)
    issued = _notifications(stack, incidents, area)
    expected_encompass = _expected_encompass(month, incidents, issued, main_clock, late_clock)
    keys = sorted(issued)
    asyncio.run(
        _project_until(
            stack,
            projections,
            f'SELECT count(*) = %s FROM "report_encompass{suffix}" t JOIN '  # noqa: S608
            "unnest(%s::text[], %s::text[], %s::timestamptz[]) AS x(pr, rid, due) "
            "ON t.police_reference = x.pr AND t.record_id = x.rid AND t.deadline = x.due "
            "WHERE t.organisation_id IS NOT NULL",
            (
                len(keys),
                [k[0] for k in keys],
                [k[1] for k in keys],
                [issued[k][1] for k in keys],
            ),
        )
    )

    # Which child each referral and assessment is about: the hub's SubjectsResolved.
    started = [e for e in everything if e["event_type"] == "EarlyHelpAssessmentStarted"]
    closed = [e for e in everything if e["event_type"] == "EarlyHelpAssessmentClosed"]
    about = _children_of(stack, {str(e["event_id"]) for e in [*made.values(), *started]})
    subjects = sum(len(found) for found in about.values())
    asyncio.run(
        _project_until(
            stack,
            projections,
            f'SELECT count(*) = %s FROM "report_subjects{suffix}" WHERE event_id = ANY(%s)',  # noqa: S608
            (subjects, sorted(about)),
        )
    )

    # Who received each referral, as the view has it once everything is projected (a referral
    # about several children is routed once per child: read it last, not mid-way).
    receiver = dict(
        _rows(
            stack,
            f"SELECT referral_id, receiving_agency_id FROM {table} "  # noqa: S608
            "WHERE referral_id = ANY(%s)",
            (ids,),
        )
    )
    want = _expected_referrals(month, made, outcome_of, receiver, {r[0] for r in raised})
    want += _expected_joined(month, made, started, closed, about)
    want += _expected_early_help(month, everything)
    want += expected_encompass

    async def counts() -> Counter[Key]:
        async with await store.connect(stack.dsn, application_name="test-report") as conn:
            found = await month_counts(conn, month.name, suffix=suffix)
        return Counter({(c.indicator, c.agency, c.dimension): c.count for c in found})

    got = asyncio.run(counts())
    _assert_only_ours(stack, suffix, month, ids, everything)
    assert got == +want, f"{month.name} (seed {seed})"
    assert {k[0] for k in want} >= {
        "encompass_notifications",
        "encompass_on_time",
        "referrals_by_source",
        "referrals_by_outcome",
        "re_referrals_12_months",
        "front_door_referrals",
        "front_door_with_active_eha",
        "eha_started",
        "referrals_overdue",
        "pitstop_referrals",
    }, "the month exercises every indicator (step-ups and step-downs are rarer)"
    on_time = sum(v for k, v in want.items() if k[0] == "encompass_on_time")
    notified = sum(v for k, v in want.items() if k[0] == "encompass_notifications")
    assert 0 < on_time < notified, "some notifications on time, the held-back ones late"

    # The worker counted what it routed, overdue and returned (at least: the worker is shared).
    after = _worker_counts(worker.metrics_url)
    for name, count in (
        ("hub_referrals_routed_total", len(made)),
        ("hub_referrals_overdue_total", len(raised)),
        ("hub_referral_outcomes_returned_total", len(outcomes)),
    ):
        assert after[name] - before[name] >= count, name
    print(
        f"\n{month.name} (seed {seed}): {len(made)} referrals, {len(outcomes)} outcomes returned, "
        f"{len(planted)} planted overdue, {len(raised)} overdue events, {notified} Encompass "
        f"notifications ({on_time} on time), {sum(want.values())} indicator counts reconciled"
    )


def _assert_only_ours(
    stack: Stack, suffix: str, month: Month, ids: list[str], events: list[dict[str, Any]]
) -> None:
    """Nothing but this test's history is counted in the month: the indicators are not scoped
    to a run, so another history published in the session into the same month would be counted
    too (read after the counts, so this sees at least what they saw)."""
    bounds = (month.start, month.end)
    references = sorted({e["police_reference"] for e in events if "police_reference" in e})
    foreign = _rows(
        stack,
        f"SELECT 'referral', referral_id FROM \"referrals{suffix}\" "  # noqa: S608
        "WHERE made_at >= %s AND made_at < %s AND NOT (referral_id = ANY(%s)) "
        f'UNION ALL SELECT event_type, event_id::text FROM "report_facts{suffix}" '
        "WHERE occurred_at >= %s AND occurred_at < %s AND NOT (event_id = ANY(%s::uuid[])) "
        f"UNION ALL SELECT 'notification', police_reference FROM \"report_encompass{suffix}\" "
        "WHERE incident_occurred_at >= %s AND incident_occurred_at < %s "
        "AND NOT (police_reference = ANY(%s))",
        (*bounds, ids, *bounds, [str(e["event_id"]) for e in events], *bounds, references),
    )
    assert not foreign, (
        f"another history published in this session reaches {month.name}, so the month's "
        f"indicators count it too: {sorted(foreign)[:5]} (see FIRST_YEAR)"
    )


def _incidents(month: Month) -> dict[str, tuple[int, datetime]]:
    """Police reference -> (children linked, first recorded_at) of the month's domestic abuse
    incidents, from the raw IncidentRecorded events (originals and re-notifications)."""
    found: dict[str, tuple[int, datetime]] = {}
    for e in month.events + month.late:
        if e["event_type"] != "IncidentRecorded" or not e["domestic_abuse"]:
            continue
        if not month.within(e["occurred_at"]):
            continue
        linked, first = found.get(e["police_reference"], (0, e["recorded_at"]))
        found[e["police_reference"]] = (
            max(linked, len(e["children"])),
            min(first, e["recorded_at"]),
        )
    return found


def _expected_encompass(
    month: Month,
    incidents: dict[str, tuple[int, datetime]],
    issued: dict[tuple[str, str], tuple[str, datetime]],
    main_clock: datetime,
    late_clock: datetime,
) -> Counter[Key]:
    """One notification per linked child per incident; on time when the hub's clock at issue
    (the test's) was before its deadline (recomputed from the recipient's calendar)."""
    per_incident = Counter(reference for reference, _ in issued)
    assert per_incident == Counter({r: n for r, (n, _) in incidents.items()})
    held = {e["police_reference"] for e in month.late}
    want: Counter[Key] = Counter()
    for (reference, _record), (organisation, deadline) in issued.items():
        # Issued (delivered to the inbox) within minutes of the test setting the clock.
        clock = late_clock if reference in held else main_clock
        assert not clock <= deadline < clock + timedelta(hours=1), "too close to call"
        want["encompass_notifications", organisation, ""] += 1
        if clock + timedelta(hours=1) <= deadline:
            want["encompass_on_time", organisation, ""] += 1
    return want


def _expected_referrals(
    month: Month,
    made: dict[str, dict[str, Any]],
    outcome_of: dict[str, str],
    receiver: dict[str, str],
    late: set[str],
) -> Counter[Key]:
    want: Counter[Key] = Counter()
    for k, e in made.items():
        if not month.within(e["occurred_at"]):
            continue
        agency = e["source"]["agency_id"]
        outcome = outcome_of.get(k, "AWAITING")
        want["referrals_by_source", agency, e["destination"]] += 1
        want["referrals_by_outcome", agency, outcome] += 1
        if e["destination"] == "FRONT_DOOR":
            want["front_door_referrals", "all", ""] += 1
        if e["destination"] == "PITSTOP":
            want["pitstop_referrals", receiver[k], outcome] += 1
        if k in late:
            want["referrals_overdue", receiver[k], ""] += 1
    return want


def _a_year_before(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def _expected_joined(
    month: Month,
    made: dict[str, dict[str, Any]],
    started: list[dict[str, Any]],
    closed: list[dict[str, Any]],
    about: dict[str, list[str]],
) -> Counter[Key]:
    """Re-referrals within 12 months and front-door referrals with an active early help
    assessment, joined on the hub's child ids."""
    children = {k: set(about[str(e["event_id"])]) for k, e in made.items()}
    closed_at: dict[tuple[str, str], datetime] = {}
    for e in closed:
        key = (e["source"]["agency_id"], e["assessment_id"])
        closed_at[key] = min(closed_at.get(key, e["occurred_at"]), e["occurred_at"])
    want: Counter[Key] = Counter()
    for k, e in made.items():
        at = e["occurred_at"]
        if not month.within(at):
            continue
        if any(
            p != k and _a_year_before(at) <= q["occurred_at"] < at and children[p] & children[k]
            for p, q in made.items()
        ):
            want["re_referrals_12_months", e["source"]["agency_id"], ""] += 1
        if e["destination"] == "FRONT_DOOR" and any(
            s["occurred_at"] <= at
            and children[k].intersection(about[str(s["event_id"])])
            and not (
                (key := (s["source"]["agency_id"], s["assessment_id"])) in closed_at
                and closed_at[key] <= at
            )
            for s in started
        ):
            want["front_door_with_active_eha", "all", ""] += 1
    return want


def _expected_early_help(month: Month, events: list[dict[str, Any]]) -> Counter[Key]:
    want: Counter[Key] = Counter()
    for e in events:
        if not month.within(e["occurred_at"]):
            continue
        agency = e["source"]["agency_id"]
        if e["event_type"] == "EarlyHelpAssessmentStarted":
            want["eha_started", agency, e["primary_need"] or "NOT_RECORDED"] += 1
        if e["event_type"] in ("SteppedUp", "SteppedDown"):
            name = "stepped_up" if e["event_type"] == "SteppedUp" else "stepped_down"
            want[name, agency, ""] += 1
    return want

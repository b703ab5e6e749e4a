"""The sharing stage against the real broker and a real worker: the issue's scripted history for
one child, with a practitioner's withholding, a correction and two retractions added, gives
exactly the Shared, ShareRefused, NonDisclosureRecorded and VisibilityRevoked records the pure
core (on the default agreement) says it should, although the worker is killed (SIGKILL) in the
middle of the history; the shares projection holds each share once; and a second kill and
restart shares nothing twice."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from psycopg import sql

from projections.model import Projection
from projections.runner import ProjectionRunner, end_offsets
from schemas import codec
from schemas.topics import ACCEPTED, AUDIT, POLICY, SHARES, ingest_topic_for_agency
from streams import spine
from streams.agents.sharing import agreement_in_force
from streams.identity.identifiers import nhs_check_digit
from streams.keystore import open_keyring
from streams.policy import follows_event_id
from streams.policy.decision import Delivery
from streams.policy.relationships import Area
from streams.policy.stage import ChildSharingState, Output, process
from tests.conftest import Stack, Worker, start_worker
from tests.integration.test_projector import config, instance, run_until, wait_positions
from tests.unit.sharing_history import (
    LEAD_PRACTITIONER,
    SCHOOL_DSL,
    WITHHOLDING,
    amended_history,
)

# Behind a shared session worker that may still be draining earlier tests' histories.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

APP_ID = "hub"
AGREEMENT = agreement_in_force({})
# Fields the hub sets when it decides: they differ between a first decision and its replay.
DECISION_TIME = ("recorded_at",)


class Outcomes:
    """Everything on the shares, audit and policy logs, read from the beginning as it arrives,
    and the accepted records of the events in `ours` (as the worker's stages read them: with
    personal fields sealed at ingest)."""

    def __init__(self, bootstrap: str) -> None:
        self.ours: set[str] = set()
        self.accepted: dict[str, dict[str, Any]] = {}
        self.consumer = KafkaConsumer(
            ACCEPTED,
            SHARES,
            AUDIT,
            POLICY,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            consumer_timeout_ms=300,
        )
        self.seen: list[tuple[str, str, str, dict[str, Any]]] = []  # topic, key, type, record

    # Generous: earlier tests in the session (a 1,000-child history) may still be flowing
    # through the shared worker; the wait ends as soon as the outcomes are in.
    def read_until(self, done: Callable[[], bool], timeout_s: float = 300.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"outcomes not seen in {timeout_s}s")
            for message in self.consumer:
                if message.topic == ACCEPTED:
                    if message.key.decode() in self.ours:
                        self.accepted[message.key.decode()] = codec.decode(message.value).record
                    continue
                decoded = codec.decode(message.value)
                self.seen.append(
                    (message.topic, message.key.decode(), decoded.event_type, decoded.record)
                )

    def read_to_end(self) -> None:
        """Read what is on the topics now (to their end offsets)."""
        ends = self.consumer.end_offsets(list(self.consumer.assignment()))
        self.read_until(lambda: all(self.consumer.position(tp) >= e for tp, e in ends.items()))

    def has_accepted(self, event_id: str) -> Callable[[], bool]:
        return lambda: event_id in self.accepted

    def has_outcome_of(self, event_id: str) -> Callable[[], bool]:
        return lambda: bool(self.about({event_id}))

    def has_ids(self, wanted: set[str]) -> Callable[[], bool]:
        return lambda: wanted <= {str(s[3]["event_id"]) for s in self.seen}

    def about(self, source_event_ids: set[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
        return [s for s in self.seen if str(s[3].get("source_event_id")) in source_event_ids]

    def close(self) -> None:
        self.consumer.close()


@pytest.fixture
def outcomes(stack: Stack) -> Iterator[Outcomes]:
    reader = Outcomes(stack.bootstrap)
    try:
        yield reader
    finally:
        reader.close()


@pytest.fixture
def shares(stack: Stack, unique_name: str) -> Iterator[Projection]:
    yield from instance(stack, "shares", f"__{unique_name}")


def _nhs(rng: random.Random) -> str:
    while True:
        nine = f"999{rng.randrange(10**6):06d}"
        check = nhs_check_digit(nine)
        if check is not None:
            return f"{nine}{check}"


def _publish(producer: KafkaProducer, record: dict[str, Any]) -> None:
    topic = ingest_topic_for_agency(record["source"]["agency_kind"])
    wire = codec.encode(record["event_type"], record)
    producer.send(topic, key=str(record["event_id"]).encode(), value=wire).get(timeout=30)


def _topic_of(output: Output) -> str:
    return {"shares": SHARES, "audit": AUDIT, "policy": POLICY}[output.destination.value]


def _without_decision_time(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in DECISION_TIME}


def _spine_caught_up(bootstrap: str) -> bool:
    """Whether the worker's group has committed every spine message (its replay is done)."""
    topic = spine.by_child_topic(APP_ID)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        committed = admin.list_group_offsets(APP_ID)[APP_ID]
    finally:
        admin.close()
    ends = asyncio.run(end_offsets(bootstrap, [topic]))
    done = {tp.partition: c.offset for tp, c in committed.items() if tp.topic == topic}
    return all(done.get(p, 0) >= end for (_t, p), (_b, end) in ends.items())


def _group_positions(bootstrap: str) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        committed = admin.list_group_offsets(APP_ID)[APP_ID]
    finally:
        admin.close()
    topics = {tp.topic for tp in committed}
    ends = asyncio.run(end_offsets(bootstrap, sorted(topics)))
    return "; ".join(
        f"{tp.topic}[{tp.partition}] {c.offset}/{ends.get((tp.topic, tp.partition))}"
        for tp, c in sorted(committed.items())
    )


def _project(stack: Stack, projection: Projection) -> None:
    async def go() -> None:
        ends = {
            tp: end
            for tp, (_b, end) in (await end_offsets(stack.bootstrap, [SHARES, AUDIT])).items()
        }
        runner = ProjectionRunner(projection, config(stack))
        await run_until([runner], lambda: wait_positions(stack.dsn, projection.name, ends))

    asyncio.run(go())


def _count(stack: Stack, table: str, record_id: str) -> Counter[tuple[str, str]]:
    with psycopg.connect(stack.dsn) as conn:
        found = conn.execute(
            sql.SQL("SELECT source_event_id, recipient_id FROM {} WHERE record_id = %s").format(
                sql.Identifier(table)
            ),
            (record_id,),
        ).fetchall()
    return Counter((str(e), r) for e, r in found)


def _kill_and_restart(stack: Stack, worker: Worker, name: str) -> None:
    """SIGKILL the worker (no commit, no leaving the group) and start a fresh one."""
    worker.proc.kill()
    worker.proc.wait(timeout=30)
    fresh = start_worker(stack, stack.root / f"worker-{name}.log")
    worker.take_over(fresh)  # the session fixture stops the new one


def test_scripted_history_shares_exactly_what_the_policy_decides_and_never_twice(
    stack: Stack, worker: Worker, outcomes: Outcomes, shares: Projection
) -> None:
    tag = uuid.uuid4().hex[:8]
    start = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    history = amended_history(_nhs(random.Random()), start, tag)
    ours = {str(r["event_id"]) for r in history}
    outcomes.ours = ours
    # Killed just after the withheld visit is published, so it is in flight; the correction
    # after it then needs what the recovered tables remember of who received the concern.
    kill_after = next(i for i, r in enumerate(history) if r["event_type"] == "VisitRecorded")
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    expected: list[Output] = []
    state, record_id = ChildSharingState(), ""
    delivered: dict[str, tuple[Delivery, ...]] = {}
    try:
        # One event at a time, each once its outcomes are all on the logs: the spine then
        # carries the child's events in the script's order.
        for index, record in enumerate(history):
            event_id = str(record["event_id"])
            _publish(producer, record)
            if index == kill_after:
                _kill_and_restart(stack, worker, f"sharing-kill-{tag}")
            if not record_id:
                outcomes.read_until(outcomes.has_outcome_of(event_id))
                record_id = outcomes.about({event_id})[0][3]["record_id"]
            # The pure core decides what the worker decides on: the accepted record.
            outcomes.read_until(outcomes.has_accepted(event_id))
            accepted = outcomes.accepted[event_id]
            follows = follows_event_id(accepted)
            step = process(
                state,
                accepted,
                record_id=record_id,
                agreement=AGREEMENT,
                area=Area(),
                now=datetime.now(UTC),
                original=delivered.get(follows, ()) if follows else (),
            )
            state = step.state
            if step.delivered:
                delivered[event_id] = step.delivered
            expected += step.outputs
            wanted = {str(o.record["event_id"]) for o in step.outputs}
            outcomes.read_until(outcomes.has_ids(wanted))
    finally:
        producer.close()

    # Exactly the expected records, on the right topics and keys, and nothing more about ours.
    seen = outcomes.about(ours)
    by_id = {str(s[3]["event_id"]): s for s in seen}
    repeated_mid = len(seen) - len(by_id)  # records the killed worker's successor repeated
    seen = list(by_id.values())
    assert set(by_id) == {str(o.record["event_id"]) for o in expected}
    for output in expected:
        topic, key, event_type, record = by_id[str(output.record["event_id"])]
        assert (topic, key, event_type) == (_topic_of(output), output.key, output.event_type)
        assert _without_decision_time(record) == _without_decision_time(output.record)
    kinds = Counter(o.event_type for o in expected)
    assert set(kinds) == {"Shared", "ShareRefused", "NonDisclosureRecorded", "VisibilityRevoked"}
    policy_hashes = {s[3]["content_hash"] for s in outcomes.seen if s[2] == "PolicyAdopted"}
    assert AGREEMENT.content_hash in policy_hashes

    # The key facts in plain terms.
    def shared_to(recipient: str) -> list[tuple[str, str]]:
        return [
            (r["source_event_type"], r["basis"])
            for _t, _k, kind, r in sorted(seen, key=lambda s: s[3]["occurred_at"])
            if kind == "Shared" and r["recipient_id"] == recipient
        ]

    police_basis = "LAW_ENFORCEMENT_DPA2018_PART3_SCH8"
    assert [s for s in shared_to(SCHOOL_DSL) if s[0] == "EncompassNotificationRequested"] == [
        ("EncompassNotificationRequested", police_basis)
    ] * 2, "the school hears of both incidents, before and after withdrawal"
    consent_to_lead = [s[0] for s in shared_to(LEAD_PRACTITIONER) if s[1] == "CONSENT"]
    assert consent_to_lead == ["EarlyHelpAssessmentStarted", "ConcernRaised", "EntryCorrected"]
    withdrawn_at = next(r["occurred_at"] for r in history if r["event_type"] == "ConsentWithdrawn")
    assert all(
        r["occurred_at"] < withdrawn_at
        for _t, _k, kind, r in seen
        if kind == "Shared" and r["basis"] == "CONSENT"
    ), "nothing consent-based is shared after withdrawal"
    refused_lead = [
        r["code"]
        for _t, _k, kind, r in seen
        if kind == "ShareRefused"
        and r["recipient_id"] == LEAD_PRACTITIONER
        and r["source_event_type"] == "ConcernRaised"
    ]
    assert refused_lead == ["CONSENT_WITHDRAWN"]
    # The withheld visit: a recorded non-disclosure for the school (safeguarding rule 23), a
    # plain WITHHELD refusal for the lead practitioner (consent rule 27), on the audit log.
    visit = next(str(r["event_id"]) for r in history if r["event_type"] == "VisitRecorded")
    audited = {
        r["recipient_id"]: (kind, r.get("code") or r.get("basis"), r.get("reason"))
        for topic, _k, kind, r in seen
        if str(r["source_event_id"]) == visit and topic == AUDIT
    }
    kind, basis, sealed_reason = audited[SCHOOL_DSL]
    assert (kind, basis) == ("NonDisclosureRecorded", "SAFEGUARDING_DPA2018_SCH1_PARA18")
    # The practitioner's reason is free text: sealed at ingest, opened only with its key.
    assert isinstance(sealed_reason, str)
    assert sealed_reason.startswith("enc:v1:")
    with open_keyring(stack.dsn) as keyring:
        assert keyring.reveal_text(sealed_reason) == WITHHOLDING["reason"]
    assert audited[LEAD_PRACTITIONER][:2] == ("ShareRefused", "WITHHELD")
    # The correction reached exactly who received the concern; the incident's retraction
    # after withdrawal still reached every police-basis recipient of the incident.
    concern, incident = (next(r for r in history if r["event_type"] == t) for t in
                         ("ConcernRaised", "IncidentRecorded"))  # fmt: skip

    def recipients(source: dict[str, Any], kind: str = "Shared") -> set[str]:
        return {
            r["recipient_id"]
            for _t, _k, k, r in seen
            if k == kind and r["source_event_id"] == source["event_id"]
        }

    correction, *retractions = (
        r for r in history if r["event_type"] in ("EntryCorrected", "EntryRetracted")
    )
    assert recipients(correction) == recipients(concern) == {LEAD_PRACTITIONER, "taf:EHA-" + tag}
    assert recipients(retractions[1]) == recipients(incident)
    assert recipients(retractions[0]) == set()
    assert recipients(retractions[0], "ShareRefused") == recipients(concern)
    revoked = {
        (str(r["shared_source_event_id"]), r["recipient_id"])
        for _t, _k, kind, r in seen
        if kind == "VisibilityRevoked"
    }
    consent_shares = {
        (str(r["source_event_id"]), r["recipient_id"])
        for _t, _k, kind, r in seen
        if kind == "Shared" and r["basis"] == "CONSENT"
    }
    assert revoked == consent_shares
    # The assessment (lead, TAF, school), concern 1 and its correction (lead, TAF), and the
    # visit (the TAF only: it was withheld from the lead practitioner).
    assert len(revoked) == 8

    # The projection: each share once; the consent-based ones revoked; every refusal audited.
    _project(stack, shares)
    names = {t.row_type.__name__: t.name for t in shares.tables}
    # share_refusals holds the refusals and the recorded non-disclosures.
    n_shared = kinds["Shared"]
    n_refused = kinds["ShareRefused"] + kinds["NonDisclosureRecorded"]
    assert sum(_count(stack, names["ShareRow"], record_id).values()) == n_shared
    assert set(_count(stack, names["RevocationRow"], record_id)) == consent_shares
    assert sum(_count(stack, names["RefusalRow"], record_id).values()) == n_refused

    # Kill again; re-publish nothing. At most the uncommitted records repeat, with the same ids.
    _kill_and_restart(stack, worker, f"sharing-restart-{tag}")
    deadline = time.monotonic() + 300
    while not _spine_caught_up(stack.bootstrap):
        assert time.monotonic() < deadline, _group_positions(stack.bootstrap)
        time.sleep(0.2)
    outcomes.read_to_end()
    after = outcomes.about(ours)
    ids_after = Counter(str(s[3]["event_id"]) for s in after)
    assert set(ids_after) == set(by_id), "no new share ids after the restart"
    repeated = sum(ids_after.values()) - len(ids_after)
    print(
        f"\n{len(expected)} outcomes; records repeated after the mid-history kill: "
        f"{repeated_mid}, after the final kill: {repeated}"
    )
    _project(stack, shares)
    assert sum(_count(stack, names["ShareRow"], record_id).values()) == n_shared
    assert max(_count(stack, names["ShareRow"], record_id).values()) == 1
    assert sum(_count(stack, names["RefusalRow"], record_id).values()) == n_refused

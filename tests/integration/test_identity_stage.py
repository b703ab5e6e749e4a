"""The identity stage against the real broker and a real worker: a small multi-agency history,
then exactly what reaches hub.log.identity.v1 and the by-child spine; then a restart that must
recover the index from its changelogs."""

from __future__ import annotations

import copy
import json
import os
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord

from schemas import codec
from schemas.topics import IDENTITY, ingest_topic_for_agency
from streams import spine
from streams.erasure.keyring import Keyring
from streams.erasure.sealing import reveal_event
from streams.identity.identifiers import nhs_check_digit, upn_check_letter
from streams.keystore import open_keyring
from tests.conftest import Stack, Worker, start_worker, stop_worker
from tests.integration.kafka_helpers import header, read_until
from tests.unit.event_samples import sample_event, subject

pytestmark = pytest.mark.integration

BY_CHILD = spine.by_child_topic(os.environ.get("HUB_APP_ID", "hub"))
SOURCES = {
    "POLICE": sample_event("IncidentRecorded")["source"],
    "HEALTH": sample_event("VisitRecorded")["source"],
    "SCHOOL": sample_event("PersonRegistered")["source"],
    "SOCIAL_CARE": sample_event("ChildProtectionPlanStarted")["source"],
}
DEMOGRAPHICS = ("given_name", "family_name", "date_of_birth", "postcode")


def _upn(rng: random.Random) -> str:
    body = f"{rng.randrange(10**12):012d}"
    return upn_check_letter(body) + body


def _nhs(rng: random.Random) -> str:
    while True:
        nine = f"999{rng.randrange(10**6):06d}"
        check = nhs_check_digit(nine)
        if check is not None:
            return f"{nine}{check}"


def _event(event_type: str, agency_kind: str | None = None, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(sample_event(event_type))
    record["event_id"] = uuid.uuid4()
    if agency_kind is not None:
        record["source"] = SOURCES[agency_kind]
    record.update(changes)
    return record


def _registered(agency_kind: str, who: dict[str, Any], **ids: str) -> dict[str, Any]:
    identifiers = {k: ids.get(k) for k in ("nhs_number", "upn", "police_person_ref", "la_child_id")}
    return _event(
        "PersonRegistered", agency_kind, subjects=[subject("CHILD", **ids)], **identifiers, **who
    )


def _child(given: str, family: str, born: date, postcode: str) -> dict[str, Any]:
    return dict(zip(DEMOGRAPHICS, (given, family, born, postcode), strict=True))


class Publisher:
    """Publishes records to the ingest topic of their source's agency kind, remembering the bytes."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        self.sent: dict[str, bytes] = {}

    def publish(self, *records: dict[str, Any]) -> None:
        for record in records:
            wire = codec.encode(record["event_type"], record)
            self.sent[str(record["event_id"])] = wire
            topic = ingest_topic_for_agency(record["source"]["agency_kind"])
            self.producer.send(topic, key=str(record["event_id"]).encode(), value=wire)
        self.producer.flush()


def _about(record: dict[str, Any]) -> str:
    """The accepted event a derived identity event is about."""
    for name in ("source_event_id", "triggered_by_event_id", "decision_event_id"):
        if name in record:
            return str(record[name])
    return ""


def _identity_log(
    stack: Stack, ours: set[str], done: Callable[[list[dict[str, Any]]], bool]
) -> list[tuple[str, dict[str, Any]]]:
    """(key, decoded record) of the identity log's records about our events, once `done` holds."""
    found = read_until(
        stack.bootstrap,
        IDENTITY,
        lambda rs: done([codec.decode(r.value).record for r in rs]),
        keep=lambda r: _about(codec.decode(r.value).record) in ours,
    )
    return [(r.key.decode(), codec.decode(r.value).record) for r in found]


def _resolved_all(*event_ids: str) -> Callable[[list[dict[str, Any]]], bool]:
    wanted = set(event_ids)

    def done(records: list[dict[str, Any]]) -> bool:
        return wanted <= {
            str(r["source_event_id"]) for r in records if r["event_type"] == "SubjectsResolved"
        }

    return done


def _of(log: list[tuple[str, dict[str, Any]]], event_type: str, about: str) -> list[Any]:
    return [(k, r) for k, r in log if r["event_type"] == event_type and _about(r) == about]


def _spine(stack: Stack, ours: set[str], count: int) -> list[ConsumerRecord]:
    return read_until(
        stack.bootstrap,
        BY_CHILD,
        lambda rs: len(rs) >= count,
        keep=lambda r: header(r, spine.EVENT_ID) in ours,
    )


@pytest.fixture
def ring(stack: Stack) -> Iterator[Keyring]:
    """The key store's keyring, to read the sealed accepted records (docs/ERASURE.md)."""
    with open_keyring(stack.dsn) as opened:
        yield opened


def test_identity_stage_resolves_queues_links_and_recovers_after_restart(
    stack: Stack, worker: Worker, ring: Keyring
) -> None:
    rng = random.Random()
    tag = uuid.uuid4().hex[:8]
    nhs_a, nhs_b, nhs_c = _nhs(rng), _nhs(rng), _nhs(rng)
    ref_a, ref_b, la_d = f"PP-A-{tag}", f"PP-B-{tag}", f"LA-D-{tag}"
    upn_d = _upn(rng)  # unique: other tests in the session publish the samples' UPN
    dee = _child("Delphine", f"Quill{tag}", date(2019, 6, 30), "TS17 6BB")
    pub = Publisher(stack.bootstrap)

    # 1. Police and health register three children with NHS numbers (two with police refs).
    reg_a = _registered(
        "POLICE",
        _child("Ari", f"Ames{tag}", date(2016, 2, 1), "TS18 1AA"),
        nhs_number=nhs_a,
        police_person_ref=ref_a,
    )
    reg_b = _registered(
        "POLICE",
        _child("Bea", f"Bell{tag}", date(2018, 4, 2), "TS18 2AB"),
        nhs_number=nhs_b,
        police_person_ref=ref_b,
    )
    reg_c = _registered(
        "HEALTH", _child("Cal", f"Cole{tag}", date(2021, 8, 3), "TS19 3AD"), nhs_number=nhs_c
    )
    pub.publish(reg_a, reg_b, reg_c)
    ids = [str(r["event_id"]) for r in (reg_a, reg_b, reg_c)]
    _identity_log(stack, set(ids), _resolved_all(*ids))

    # 2. Only now (the refs are known) an incident names A and B by police reference alone; an
    # adult-only event; and one child registered by a school and by social care, no NHS number.
    incident = _event(
        "IncidentRecorded",
        subjects=[
            subject("CHILD", police_person_ref=ref_a),
            subject("CHILD", police_person_ref=ref_b),
            subject("PARENT_CARER", police_person_ref=f"PP-ADULT-{tag}"),
        ],
    )
    adult_only = _event(
        "ConsentGiven", subjects=[subject("PARENT_CARER", police_person_ref=f"PP-MUM-{tag}")]
    )
    reg_d_school = _registered("SCHOOL", dee, upn=upn_d)
    reg_d_social = _registered("SOCIAL_CARE", dee, la_child_id=la_d)
    pub.publish(incident, adult_only, reg_d_school, reg_d_social)
    phase2 = [str(r["event_id"]) for r in (incident, adult_only, reg_d_school, reg_d_social)]
    d_ids = set(phase2[2:])

    def reviewed(records: list[dict[str, Any]]) -> bool:
        queued = [r for r in records if r["event_type"] == "IdentityReviewRequested"]
        return _resolved_all(*phase2)(records) and len(queued) >= 1

    log = _identity_log(stack, set(ids + phase2), reviewed)
    (review,) = [r for _k, r in log if r["event_type"] == "IdentityReviewRequested"]
    assert str(review["triggered_by_event_id"]) in d_ids

    # 3. The front door answers the review: one child.
    link = _event("ChildProtectionPlanStarted", "SOCIAL_CARE")
    link = {
        k: link[k] for k in ("event_id", "occurred_at", "recorded_at", "source", "lawful_basis")
    }
    link |= {
        "event_type": "PersonsLinked",
        "subjects": [subject("CHILD", la_child_id=la_d)],
        "review_id": review["review_id"],
        "child_ids": list(review["child_ids"]),
        "linked_by": "Sam Example, front door social worker",
        "reason": "same child: school and social care records checked",
    }
    pub.publish(link)
    ours = {*ids, *phase2, str(link["event_id"])}
    log = _identity_log(
        stack, ours, lambda rs: any(r["event_type"] == "RecordsRekeyed" for r in rs)
    )

    # The identity log, exactly.
    counts = Counter((r["event_type"], _about(r)) for _k, r in log)
    expected = {("SubjectsResolved", e): 1 for e in ids + phase2}
    expected[("IdentityReviewRequested", str(review["triggered_by_event_id"]))] = 1
    expected[("RecordsRekeyed", str(link["event_id"]))] = 1
    assert dict(counts) == expected

    def resolved(event: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        ((key, record),) = _of(log, "SubjectsResolved", str(event["event_id"]))
        return key, record["resolutions"]

    records: dict[str, str] = {}
    for name, event in {"a": reg_a, "b": reg_b, "c": reg_c}.items():
        key, (only,) = resolved(event)
        assert (only["subject_index"], only["rule"], only["minted"]) == (0, "NEW_CHILD", True)
        assert key == only["record_id"] == only["child_id"]
        records[name] = only["record_id"]
    key, both = resolved(incident)
    assert [(r["subject_index"], r["record_id"], r["rule"]) for r in both] == [
        (0, records["a"], "KNOWN_IDENTIFIER"),
        (1, records["b"], "KNOWN_IDENTIFIER"),
    ]
    assert key == records["a"]
    key, none = resolved(adult_only)
    assert none == []
    assert key == str(adult_only["event_id"])
    for name, event in {"d_school": reg_d_school, "d_social": reg_d_social}.items():
        key, (only,) = resolved(event)
        assert only["rule"] == "NEW_CHILD"
        assert key == only["record_id"]
        records[name] = only["record_id"]
    pair = sorted([records["d_school"], records["d_social"]])
    assert review["child_ids"] == pair
    assert review["score"] == 1.0
    assert len(review["reasons"]) == 4
    ((key, rekeyed),) = _of(log, "RecordsRekeyed", str(link["event_id"]))
    assert key == pair[0]
    assert rekeyed["rekeyed"] == [
        {"record_id": pair[1], "from_child_id": pair[1], "to_child_id": pair[0]}
    ]
    assert str(rekeyed["review_id"]) == str(review["review_id"])

    # The spine, exactly: one message per child subject; none for the adult-only event or the link.
    per_event: dict[str, list[str | None]] = {
        str(reg_a["event_id"]): [records["a"]],
        str(reg_b["event_id"]): [records["b"]],
        str(reg_c["event_id"]): [records["c"]],
        str(incident["event_id"]): [records["a"], records["b"], None],
        str(reg_d_school["event_id"]): [records["d_school"]],
        str(reg_d_social["event_id"]): [records["d_social"]],
    }
    messages = _spine(stack, ours, count=7)
    assert len(messages) == 7
    seen: Counter[str] = Counter()
    for message in messages:
        event_id = header(message, spine.EVENT_ID)
        index = int(header(message, spine.SUBJECT_INDEX))
        subject_records = per_event[event_id]
        seen[event_id] += 1
        assert message.key.decode() == subject_records[index]
        # The accepted record (personal fields sealed, docs/ERASURE.md), unchanged by identity.
        assert (
            reveal_event(codec.decode(message.value).record, keyring=ring)
            == codec.decode(pub.sent[event_id]).record
        )
        parsed = spine.read_spine_headers(message.headers)
        assert parsed.record_id == parsed.child_id == subject_records[index]
        assert parsed.event_type == codec.decode(message.value).event_type
        assert json.loads(header(message, spine.SUBJECT_RECORDS)) == subject_records
    assert seen == {e: sum(r is not None for r in rs) for e, rs in per_event.items()}

    # 4. Restart: the index must come back from the changelogs, not be rebuilt differently.
    stop_worker(worker)
    fresh = start_worker(stack, stack.root / f"worker-identity-restart-{tag}.log")
    worker.take_over(fresh)  # the session fixture stops the new one
    referral = _event("ReferralMade", subjects=[subject("CHILD", nhs_number=nhs_a)])
    visit = _event("VisitRecorded", subjects=[subject("CHILD", la_child_id=la_d)])
    pub.publish(referral, visit)
    after = [str(referral["event_id"]), str(visit["event_id"])]
    log = _identity_log(stack, set(after), _resolved_all(*after))
    assert sorted((k, r["event_type"], _about(r)) for k, r in log) == sorted(
        [(records["a"], "SubjectsResolved", after[0]), (pair[0], "SubjectsResolved", after[1])]
    )
    ((_, referral_resolved),) = _of(log, "SubjectsResolved", after[0])
    (by_nhs,) = referral_resolved["resolutions"]
    assert (by_nhs["record_id"], by_nhs["rule"], by_nhs["minted"]) == (
        records["a"],
        "NHS_NUMBER",
        False,
    )
    ((_, visit_resolved),) = _of(log, "SubjectsResolved", after[1])
    (by_la,) = visit_resolved["resolutions"]
    assert (by_la["record_id"], by_la["child_id"], by_la["minted"]) == (
        records["d_social"],
        pair[0],
        False,
    )
    new_messages = _spine(stack, set(after), count=2)
    assert sorted((m.key.decode(), header(m, spine.CHILD_ID)) for m in new_messages) == sorted(
        [(records["a"], records["a"]), (records["d_social"], pair[0])]
    )
    # Old events: at most a redelivery of the last uncommitted batch, and then identical copies.
    old = _spine(stack, ours, count=7)
    copies: dict[tuple[str, str], set[Any]] = {}
    for m in old:
        at = (header(m, spine.EVENT_ID), header(m, spine.SUBJECT_INDEX))
        copies.setdefault(at, set()).add((m.key, m.value, tuple(m.headers)))
    assert len(copies) == 7
    assert all(len(versions) == 1 for versions in copies.values()), "a redelivery is identical"
    print(f"\nby-child messages for the 7 subjects before the restart: {len(old)}")

"""Ingest against the real broker and a real worker: every record is accepted once (personal fields
sealed, docs/ERASURE.md) or dead-lettered with its reason and original bytes (a duplicate: the
sealed bytes it would have been accepted as). Publishers: kafka-python, and kcat."""

from __future__ import annotations

import copy
import os
import subprocess
import uuid
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import codec
from schemas.codec import Framing
from schemas.topics import ACCEPTED, DEAD_LETTER, ingest_topic
from streams.erasure.sealing import reveal_event
from streams.keystore import open_keyring
from tests.conftest import Stack, Worker
from tests.integration.kafka_helpers import header, read_until
from tests.unit.event_samples import CHILD_NHS, sample_event

pytestmark = pytest.mark.integration


def _event(event_type: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(sample_event(event_type))
    record["event_id"] = uuid.uuid4()
    record.update(changes)
    return record


def test_every_record_is_accepted_once_or_dead_lettered_with_its_reason(
    stack: Stack, worker: Worker, tmp_path: Any
) -> None:
    incident = _event("IncidentRecorded")
    incident_bytes = codec.encode("IncidentRecorded", incident)
    conflicting = copy.deepcopy(incident)
    conflicting["circumstances"] = "A different account under the same event id."
    visit = _event("VisitRecorded")
    concern = _event("ConcernRaised")

    bad_check_digit = _event("IncidentRecorded")
    bad_check_digit["subjects"][0]["nhs_number"] = "9990000017"
    school_incident = _event("IncidentRecorded")
    school_incident["source"] = {**school_incident["source"], "agency_kind": "SCHOOL"}
    police_on_school_topic = _event("IncidentRecorded")
    unknown_fingerprint = b"\xc3\x01" + bytes(8) + incident_bytes[10:]

    police, education, health = (ingest_topic(k) for k in ("police", "education", "health"))
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    sends: list[tuple[str, bytes, bytes]] = [
        (police, b"k-accept", incident_bytes),
        (health, b"k-confluent", codec.encode("VisitRecorded", visit, framing=Framing.CONFLUENT)),
        (police, b"k-malformed", b"this is not avro"),
        (police, b"k-unknown", unknown_fingerprint),
        (police, b"k-checkdigit", codec.encode("IncidentRecorded", bad_check_digit)),
        (education, b"k-notpermitted", codec.encode("IncidentRecorded", school_incident)),
        (education, b"k-wrongtopic", codec.encode("IncidentRecorded", police_on_school_topic)),
    ]
    for topic, key, value in sends:
        producer.send(topic, key=key, value=value)
    producer.flush()
    # The duplicates go after the original has been accepted, as a redelivery would.
    accepted_ids = {str(incident["event_id"]), str(visit["event_id"]), str(concern["event_id"])}
    read_until(
        stack.bootstrap,
        ACCEPTED,
        lambda rs: len(rs) >= 1,
        keep=lambda r: r.key == str(incident["event_id"]).encode(),
    )
    producer.send(police, key=b"k-duplicate", value=incident_bytes)
    producer.send(police, key=b"k-conflict", value=codec.encode("IncidentRecorded", conflicting))
    producer.flush()
    producer.close()

    # kcat, a third-party client, publishes a concern as a school system would (a file argument
    # is sent as one message; -l would split it at newline bytes).
    payload = tmp_path / "concern.avro"
    payload.write_bytes(codec.encode("ConcernRaised", concern))
    kcat = subprocess.run(
        ["kcat", "-P", "-b", stack.bootstrap, "-t", education, "-k", "k-kcat", str(payload)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert kcat.returncode == 0, kcat.stderr

    expected_reasons = {
        b"k-malformed": "malformed",
        b"k-unknown": "unknown_schema",
        b"k-checkdigit": "invalid",
        b"k-notpermitted": "not_permitted",
        b"k-wrongtopic": "wrong_topic",
        b"k-duplicate": "duplicate_event_id",
        b"k-conflict": "conflicting_event_id",
    }
    originals = {key: value for _t, key, value in sends}
    with open_keyring(stack.dsn) as ring:

        def key_of(r: Any) -> bytes:
            # After acceptance the publisher's key (it names a person) travels sealed.
            return ring.reveal_text((r.key or b"").decode(errors="replace")).encode()

        dead = read_until(
            stack.bootstrap,
            DEAD_LETTER,
            lambda rs: {key_of(r) for r in rs} >= set(expected_reasons),
            keep=lambda r: key_of(r) in expected_reasons,
        )
        by_key = {key_of(r): r for r in dead}
    assert by_key[b"k-duplicate"].key != b"k-duplicate", "sealed after screening"
    assert len(dead) == len(expected_reasons), "each bad record is dead-lettered exactly once"
    for key, reason in expected_reasons.items():
        record = by_key[key]
        assert header(record, "hub.reason") == reason, key
        assert header(record, "hub.detail"), f"{key!r} has no detail"
        assert header(record, "hub.source.topic").startswith("hub."), key
        assert header(record, "hub.source.offset").isdigit(), key
        if key in originals:
            assert record.value == originals[key], f"{key!r}: the original bytes must be kept"
    assert "nhs_number" in header(by_key[b"k-checkdigit"], "hub.detail")
    assert "9990000017" not in header(by_key[b"k-checkdigit"], "hub.detail"), "no values in reasons"

    accepted = read_until(
        stack.bootstrap,
        ACCEPTED,
        lambda rs: {r.key.decode() for r in rs} >= accepted_ids,
        keep=lambda r: r.key.decode() in accepted_ids,
    )
    assert sorted(r.key.decode() for r in accepted) == sorted(accepted_ids), "each exactly once"
    sealed = next(r for r in accepted if r.key == str(incident["event_id"]).encode()).value
    # The log holds the event with its personal fields sealed: no identifier or name in clear,
    # the same record through the keyring, and a redelivery dead-letters those same bytes.
    assert CHILD_NHS.encode() not in sealed
    assert incident["children"][0]["given_name"].encode() not in sealed
    assert incident["circumstances"].encode() not in sealed
    with open_keyring(stack.dsn) as ring:
        assert reveal_event(codec.decode(sealed).record, keyring=ring) == incident
    assert by_key[b"k-duplicate"].value == sealed
    decoded = codec.decode(
        next(r.value for r in accepted if r.key.decode() == str(visit["event_id"]))
    )
    assert decoded.event_type == "VisitRecorded"

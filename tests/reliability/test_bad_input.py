"""The fuzz corpus at volume through the live ingest topics and the live HTTP gateway: the
pipeline keeps running, every record put on an ingest topic ends as exactly one accepted event
or one dead letter with a reason, the gateway answers every request with a status and a reason
(never a 5xx), and neither process dies.

The corpus is the one the unit fuzz tests draw from (tests/unit/test_codec_fuzz.py,
tests/unit/test_gateway_fuzz.py): random bytes, a valid header with a random body, valid
payloads with bytes flipped, inserted, deleted or cut, events breaking a rule Avro cannot
express, events on the wrong topic, plus good events among them. Seeded, so a failure repeats.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from kafka import KafkaProducer

from schemas import codec
from schemas.codec import Framing
from schemas.topics import ACCEPTED, ingest_topic, ingest_topic_for_agency
from tests.integration.kafka_helpers import header
from tests.reliability.harness import (
    Hub,
    dead_letter_records,
    read_topics,
    size,
)
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.slow]

FUZZ = size("FUZZ", 1000)


def _fresh(event_type: str) -> dict[str, Any]:
    record = copy.deepcopy(sample_event(event_type))
    record["event_id"] = uuid.uuid4()
    return record


def _mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        action = rng.choice(["flip", "insert", "delete", "cut"])
        if action == "flip" and at < len(out):
            out[at] ^= 1 << rng.randint(0, 7)
        elif action == "insert":
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        elif action == "delete" and at < len(out):
            del out[at : at + rng.randint(1, 8)]
        elif action == "cut":
            del out[at:]
    return bytes(out)


def _corpus(rng: random.Random, count: int) -> list[tuple[str, bytes]]:
    """(topic, value) pairs: the fuzz corpus with good events mixed in."""
    police = ingest_topic("police")
    out: list[tuple[str, bytes]] = []
    for _ in range(count):
        event_type = rng.choice(SAMPLE_EVENT_TYPES)
        record = _fresh(event_type)
        kind = str(record["source"]["agency_kind"])
        own_topic = ingest_topic_for_agency(kind)
        framing = rng.choice(list(Framing))
        good = codec.encode(event_type, record, framing=framing)
        shape = rng.choice(["random", "header", "mutated", "invalid", "wrong_topic", "good"])
        if shape == "random":
            out.append((police, rng.randbytes(rng.randint(0, 300))))
        elif shape == "header":
            cut = 10 if good[0] == 0xC3 else 5
            out.append((own_topic, good[:cut] + rng.randbytes(rng.randint(0, 400))))
        elif shape == "mutated":
            out.append((own_topic, _mutate(rng, good)))
        elif shape == "invalid":
            broken = copy.deepcopy(record)
            broken["occurred_at"] = record["recorded_at"] + timedelta(days=400)
            out.append((own_topic, codec.encode(event_type, broken, framing=framing)))
        elif shape == "wrong_topic":
            others = [
                ingest_topic(k)
                for k in ("police", "education", "health")
                if ingest_topic(k) != own_topic
            ]
            out.append((rng.choice(others), good))
        else:
            out.append((own_topic, good))
    return out


@pytest.mark.timeout(900)
def test_fuzzed_records_on_the_ingest_topics_are_each_accepted_or_dead_lettered_with_a_reason(
    hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(20261123)
    corpus = _corpus(rng, FUZZ)
    run = uuid.uuid4().hex[:8]
    producer = KafkaProducer(bootstrap_servers=hub.bootstrap, acks="all", linger_ms=10)
    keys = {}
    for i, (topic, value) in enumerate(corpus):
        key = f"fuzz-{run}-{i}".encode()
        keys[key] = value
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()
    worker = hub.pid("worker")

    def event_id(value: bytes) -> str | None:
        try:
            return str(codec.decode(value).record["event_id"])
        except (codec.DecodeError, KeyError):
            return None

    # The accepted log is keyed by event_id (and carries sealed fields, not the bytes sent).
    ids = {key: event_id(value) for key, value in keys.items()}

    def outcome() -> tuple[dict[bytes, list[str]], set[bytes]]:
        dead: dict[bytes, list[str]] = {}
        for record in dead_letter_records(hub):
            if record.key in keys:
                dead.setdefault(record.key, []).append(_header(record, "hub.reason"))
        on_log = {(r.key or b"").decode() for r in read_topics(hub.bootstrap, [ACCEPTED])}
        accepted = {k for k, i in ids.items() if i in on_log and k not in dead}
        return dead, accepted

    deadline = time.monotonic() + 600
    while True:
        dead, accepted = outcome()
        if len(dead) + len(accepted) >= len(keys) or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    reasons = Counter(r for rs in dead.values() for r in rs)
    with capsys.disabled():
        print(
            f"\n[fuzz on the ingest topics] {len(keys)} records: {len(accepted)} accepted, "
            f"{len(dead)} dead-lettered by reason {dict(reasons)}; worker pid unchanged: "
            f"{hub.pid('worker') == worker}"
        )
    assert hub.pid("worker") == worker, "no record crashed the worker"
    assert len(dead) + len(accepted) == len(keys), "every record has exactly one outcome"
    assert all(len(rs) == 1 for rs in dead.values()), "each dead-lettered once"
    assert all(r for rs in dead.values() for r in rs), "every dead letter has a reason"
    assert "processing_error" not in reasons, "no record made the hub fail"
    details = [_header(r, "hub.detail") for r in dead_letter_records(hub) if r.key in keys]
    assert all(details), "every dead letter says why in hub.detail"


def _header(record: Any, name: str) -> str:
    return header(record, name)  # a SourceRecord has headers as a ConsumerRecord does


@pytest.mark.timeout(600)
def test_the_live_gateway_answers_fuzzed_requests_with_a_reason_and_keeps_running(
    hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hub.endpoints is not None
    url = f"{hub.endpoints.urls['gateway']}/v1/events"
    listing = json.loads((hub.root / "demo-tokens.json").read_text())["tokens"]
    tokens = {t["agency_id"]: t["token"] for t in listing}
    rng = random.Random(7)
    bodies: list[tuple[bytes, str | None]] = []
    for _ in range(FUZZ // 2):
        event_type = rng.choice(SAMPLE_EVENT_TYPES)
        obj = codec.to_json(_fresh(event_type))
        token = tokens.get(obj["source"]["agency_id"], next(iter(tokens.values())))
        shape = rng.choice(["bytes", "json", "drop", "retype", "good"])
        if shape == "bytes":
            bodies.append((rng.randbytes(rng.randint(0, 300)), rng.choice([token, None, "x"])))
            continue
        if shape == "json":
            bodies.append(
                (json.dumps(rng.choice([[], {}, 1, "s", None, {"event_type": 3}])).encode(), token)
            )
            continue
        if shape == "drop":
            obj.pop(rng.choice(sorted(obj)))
        elif shape == "retype":
            obj[rng.choice(sorted(obj))] = rng.choice([None, 1, "?", [], {}])
        bodies.append((json.dumps(obj, default=str).encode(), token))
    gateway = hub.pid("gateway")

    async def post_all() -> Counter[int]:
        statuses: Counter[int] = Counter()
        async with aiohttp.ClientSession() as session:
            for body, token in bodies:
                headers = {"Content-Type": "application/json"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                async with session.post(url, data=body, headers=headers) as answer:
                    text = await answer.text()
                    statuses[answer.status] += 1
                    if answer.status >= 400:
                        assert text.strip(), f"{answer.status} without a reason"
        return statuses

    statuses = asyncio.run(post_all())
    with capsys.disabled():
        print(f"\n[fuzz through the gateway] {len(bodies)} requests: statuses {dict(statuses)}")
    assert not any(s >= 500 for s in statuses), statuses
    assert statuses[202] > 0, "good events still get through"
    assert hub.pid("gateway") == gateway, "the gateway kept running"

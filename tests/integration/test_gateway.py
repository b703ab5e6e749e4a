"""The HTTP ingest gateway as its own process, against the real broker and a real worker: what it
accepts reaches the accepted log exactly once, what it refuses is never produced."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from ops.paths import free_port
from schemas import codec
from schemas.topics import ACCEPTED, DEAD_LETTER, ingest_topic
from streams.gateway.demo import ensure_demo_tokens
from tests.conftest import Stack, Worker
from tests.integration.kafka_helpers import header, read_until
from tests.unit.event_samples import sample_event

pytestmark = pytest.mark.integration


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True, slots=True)
class RunningGateway:
    url: str
    tokens: dict[str, str]  # agency_id -> demo token
    log: Path


def _http(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to the gateway: (status, headers, body), 4xx and 5xx included."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 (http)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 (our own URL)
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def _call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    status, response_headers, body = _http(url, data, headers)
    return Reply(status, response_headers, json.loads(body or b"null"))


def _post(gateway: RunningGateway, body: bytes | dict[str, Any], token: str | None) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return _call(f"{gateway.url}/v1/events", data, headers)


@pytest.fixture
def gateway(stack: Stack, tmp_path: Path) -> Iterator[RunningGateway]:
    """`python -m streams.gateway` with the demo tokens, as `hub up` would start it."""
    listing = json.loads(ensure_demo_tokens(tmp_path).read_text())
    port = free_port()
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": stack.bootstrap,
        "HUB_STATE_DIR": str(tmp_path),
        "HUB_GATEWAY_PORT": str(port),
    }
    log = tmp_path / "gateway.log"
    with log.open("ab") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.gateway"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    running = RunningGateway(
        url=f"http://127.0.0.1:{port}",
        tokens={entry["agency_id"]: entry["token"] for entry in listing["tokens"]},
        log=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the gateway exited:\n{log.read_text()[-3000:]}"
            try:
                health = _call(f"{running.url}/healthz")
                if health.body == {"status": "ok", "kafka": True}:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gateway not ready:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield running
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=30) == 0, f"unclean stop:\n{log.read_text()[-3000:]}"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _event(event_type: str) -> dict[str, Any]:
    record = copy.deepcopy(sample_event(event_type))
    record["event_id"] = uuid.uuid4()
    obj: dict[str, Any] = json.loads(json.dumps(codec.to_json(record)))
    return obj


def _event_id(record: ConsumerRecord) -> str:
    try:
        return str(codec.decode(record.value).record["event_id"])
    except codec.DecodeError:  # other tests put junk on the ingest topics on purpose
        return ""


def _event_id_of(value: bytes | None) -> bytes | None:
    """The event id inside a dead letter's bytes (None when they do not decode)."""
    try:
        return str(codec.decode(value or b"").record["event_id"]).encode()
    except codec.DecodeError:
        return None


def test_accepted_events_reach_the_log_once_and_refused_ones_are_never_produced(
    stack: Stack, worker: Worker, gateway: RunningGateway
) -> None:
    valid = [
        _event(t)
        for t in (
            "IncidentRecorded",
            "ConcernRaised",
            "VisitRecorded",
            "ChildProtectionPlanStarted",
            "ConsentGiven",
        )
    ]
    for obj in valid:
        reply = _post(gateway, obj, gateway.tokens[obj["source"]["agency_id"]])
        assert reply.status == 202, reply.body
        assert reply.body == {"event_id": obj["event_id"]}
    police = gateway.tokens["cleveland-police"]
    incident = valid[0]
    # A client that lost the 202 and retries: accepted again, but the log keeps one copy.
    assert _post(gateway, incident, police).status == 202

    bad_check_digit = _event("IncidentRecorded")
    bad_check_digit["subjects"][0]["nhs_number"] = "9990000017"
    refused = _post(gateway, bad_check_digit, police)
    assert refused.status == 422
    assert "subjects[0].nhs_number" in {p["field"] for p in refused.body["problems"]}
    assert "9990000017" not in json.dumps(refused.body)

    school_incident = _event("IncidentRecorded")
    school_incident["source"] = {
        **school_incident["source"],
        "agency_kind": "SCHOOL",
        "agency_id": "urn-123456",
    }
    forbidden = _post(gateway, school_incident, gateway.tokens["urn-123456"])
    assert (forbidden.status, forbidden.body["error"]) == (403, "event_type_not_permitted")

    wrong_token = _post(gateway, _event("IncidentRecorded"), "hub_not-a-demo-token")
    assert wrong_token.status == 401
    assert wrong_token.headers["WWW-Authenticate"].startswith("Bearer")

    oversized = _event("IncidentRecorded")
    oversized["circumstances"] = "x" * (300 * 1024)
    too_large = _post(gateway, oversized, police)
    assert (too_large.status, too_large.body["error"]) == (413, "body_too_large")

    # The retry's copy reaches the dead-letter topic as a duplicate: both copies were screened
    # (and sealed the same way, so the copy is recognised as the same bytes).
    incident_id = incident["event_id"].encode()
    read_until(
        stack.bootstrap,
        DEAD_LETTER,
        lambda rs: len(rs) >= 1,
        keep=lambda r: (
            header(r, "hub.reason") == "duplicate_event_id" and _event_id_of(r.value) == incident_id
        ),
    )
    accepted_ids = {obj["event_id"] for obj in valid}
    accepted = read_until(
        stack.bootstrap,
        ACCEPTED,
        lambda rs: {r.key.decode() for r in rs} >= accepted_ids,
        keep=lambda r: r.key.decode() in accepted_ids,
    )
    assert sorted(r.key.decode() for r in accepted) == sorted(accepted_ids), "each exactly once"
    # The log holds the event with its personal fields sealed (docs/ERASURE.md), not as posted.
    logged = codec.decode(next(r for r in accepted if r.key == incident_id).value).record
    assert str(logged["event_id"]) == incident["event_id"]
    assert logged["police_reference"] == incident["police_reference"]
    assert logged["circumstances"].startswith("enc:v1:")
    assert incident["circumstances"] not in json.dumps(codec.to_json(logged))

    never_produced = {
        bad_check_digit["event_id"],
        school_incident["event_id"],
        oversized["event_id"],
    }
    on_police_topic = read_until(
        stack.bootstrap,
        ingest_topic("police"),
        lambda rs: sum(_event_id(r) == incident["event_id"] for r in rs) == 2,
        keep=lambda r: _event_id(r) in never_produced | {incident["event_id"]},
    )
    assert not {_event_id(r) for r in on_police_topic} & never_produced
    on_education_topic = read_until(
        stack.bootstrap,
        ingest_topic("education"),
        lambda rs: len(rs) == 1,
        keep=lambda r: _event_id(r) in {school_incident["event_id"], valid[1]["event_id"]},
    )
    assert _event_id(on_education_topic[0]) == valid[1]["event_id"]

    metrics = _http(f"{gateway.url}/metrics")[2].decode()
    assert 'hub_gateway_requests_total{agency_kind="POLICE",status="202"} 2.0' in metrics
    assert 'hub_gateway_requests_total{agency_kind="none",status="401"} 1.0' in metrics
    access = [json.loads(line) for line in gateway.log.read_text().splitlines() if '"path"' in line]
    assert {entry["status"] for entry in access} >= {202, 401, 403, 413, 422}
    assert police not in gateway.log.read_text()

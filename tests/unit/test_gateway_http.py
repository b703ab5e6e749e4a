"""The gateway's HTTP answers, driven through aiohttp's test server with a fake event sink."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from schemas import codec
from schemas.topics import ingest_topic_for_agency
from streams.gateway.app import create_app
from streams.gateway.sink import SinkUnavailable
from streams.gateway.tokens import Agency, TokenStore, hash_token, publishable_types
from tests.unit.event_samples import CHILD_NHS, SAMPLE_EVENT_TYPES, SAMPLE_NOW, sample_event

PEPPER = b"unit-test-pepper-0123456789abcdef"
# One token per agency the samples publish as; a school's token publishes only as that school.
AGENCIES = {
    sample_event(t)["source"]["agency_id"]: sample_event(t)["source"]["agency_kind"]
    for t in SAMPLE_EVENT_TYPES
}
TOKENS = {agency_id: f"hub_test-token-{agency_id}" for agency_id in AGENCIES}
POLICE, SCHOOL = TOKENS["cleveland-police"], TOKENS["urn-123456"]
JSON_STATUSES = {202, 400, 401, 403, 413, 422}


def token_store() -> TokenStore:
    return TokenStore(
        PEPPER,
        {
            hash_token(TOKENS[agency_id], PEPPER): Agency(
                agency_id=agency_id, agency_kind=kind, event_types=publishable_types(kind)
            )
            for agency_id, kind in AGENCIES.items()
        },
    )


class FakeSink:
    """Records what would have been produced; ``down`` makes it behave like a lost broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.down = False
        self.connected = True

    async def send(self, topic: str, *, key: bytes, value: bytes) -> None:
        if self.down:
            self.connected = False
            raise SinkUnavailable("broker unreachable (fake)")
        self.sent.append((topic, key, value))


class Answer:
    """A response, read: status, headers and the JSON body (None when not JSON)."""

    def __init__(self, status: int, headers: Mapping[str, str], text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text
        try:
            self.json: Any = json.loads(text)
        except ValueError:
            self.json = None


class Gateway:
    """The app on a TestServer, driven synchronously on an event loop this object owns."""

    def __init__(self, *, max_body_bytes: int = 256 * 1024) -> None:
        self.sink = FakeSink()
        self.app = create_app(
            token_store(), self.sink, clock=lambda: SAMPLE_NOW, max_body_bytes=max_body_bytes
        )
        self.loop = asyncio.new_event_loop()
        self.client: TestClient[web.Request, web.Application] = self.loop.run_until_complete(
            self._start()
        )

    async def _start(self) -> TestClient[web.Request, web.Application]:
        client = TestClient(TestServer(self.app))
        await client.start_server()
        return client

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        async def go() -> Answer:
            async with self.client.request(method, path, data=body, headers=headers) as resp:
                return Answer(resp.status, resp.headers, await resp.text())

        return self.loop.run_until_complete(go())

    def post(self, body: bytes | Any, *, token: str | None = POLICE) -> Answer:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", "/v1/events", body=raw, headers=headers)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    running = Gateway()
    try:
        yield running
    finally:
        running.close()


def event_json(event_type: str, **changes: Any) -> dict[str, Any]:
    """A sample event as a client sends it, with a fresh event_id."""
    record = copy.deepcopy(sample_event(event_type))
    record["event_id"] = uuid.uuid4()
    record.update(changes)
    obj: dict[str, Any] = json.loads(json.dumps(codec.to_json(record)))
    return obj


def token_for(obj: Mapping[str, Any]) -> str:
    return TOKENS[obj["source"]["agency_id"]]


def assert_error(answer: Answer, status: int, code: str) -> None:
    assert answer.status == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json["error"] == code
    assert answer.json["message"]


@pytest.mark.parametrize("event_type", SAMPLE_EVENT_TYPES)
def test_a_valid_event_is_produced_once_to_its_agencys_ingest_topic(
    gateway: Gateway, event_type: str
) -> None:
    obj = event_json(event_type)
    answer = gateway.post(obj, token=token_for(obj))
    assert answer.status == 202, answer.text
    assert answer.json == {"event_id": obj["event_id"]}
    [(topic, key, value)] = gateway.sink.sent
    assert topic == ingest_topic_for_agency(obj["source"]["agency_kind"])
    assert key
    decoded = codec.decode(value)
    assert decoded.event_type == event_type
    assert codec.to_json(decoded.record) == obj


def test_the_key_is_the_publishers_own_reference_for_the_primary_subject(
    gateway: Gateway,
) -> None:
    incident = event_json("IncidentRecorded")
    visit = event_json("VisitRecorded")
    gateway.post(incident, token=POLICE)
    gateway.post(visit, token=token_for(visit))
    assert [key for _t, key, _v in gateway.sink.sent] == [
        incident["subjects"][0]["police_person_ref"].encode(),
        visit["subjects"][0]["nhs_number"].encode(),
    ]


def test_no_token_is_401_with_a_bearer_challenge(gateway: Gateway) -> None:
    answer = gateway.post(event_json("IncidentRecorded"), token=None)
    assert_error(answer, 401, "unauthorised")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    assert not gateway.sink.sent


@pytest.mark.parametrize("header", ["Bearer hub_not-a-token", "Basic dXNlcjpwYXNz", "Bearer", ""])
def test_an_unknown_or_malformed_token_is_401(gateway: Gateway, header: str) -> None:
    answer = gateway.request("POST", "/v1/events", body=b"{}", headers={"Authorization": header})
    assert_error(answer, 401, "unauthorised")
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_a_school_may_not_publish_a_police_incident(gateway: Gateway) -> None:
    incident = event_json("IncidentRecorded")
    incident["source"] = {**incident["source"], "agency_kind": "SCHOOL", "agency_id": "urn-123456"}
    answer = gateway.post(incident, token=SCHOOL)
    assert_error(answer, 403, "event_type_not_permitted")
    assert "SCHOOL" in answer.json["message"]
    assert not gateway.sink.sent


@pytest.mark.parametrize(
    "source",
    [
        {"agency_id": "durham-constabulary"},  # another force: same kind, another agency
        {"agency_kind": "HEALTH", "agency_id": "north-tees-0-19"},  # another kind altogether
    ],
)
def test_an_agency_cannot_publish_as_another(gateway: Gateway, source: dict[str, str]) -> None:
    referral = event_json("ReferralMade")  # any kind may refer: only the source is wrong
    referral["source"] = {**referral["source"], **source}
    answer = gateway.post(referral, token=POLICE)
    assert_error(answer, 403, "source_mismatch")
    assert not gateway.sink.sent


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "invalid_json"),
        (b"\xff\xfe\x00", "invalid_json"),
        (b'{"event_type": NaN}', "invalid_json"),
        (b'{"event_type": "IncidentRecorded", "event_type": "VisitRecorded"}', "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        (b"[]", "not_an_object"),
        (b'"IncidentRecorded"', "not_an_object"),
        (b'{"event_type": "IncidentHappened"}', "unknown_event_type"),
    ],
)
def test_a_body_that_is_not_an_event_object_is_400(
    gateway: Gateway, body: bytes, code: str
) -> None:
    assert_error(gateway.post(body), 400, code)
    assert not gateway.sink.sent


def test_a_failed_nhs_check_digit_is_422_naming_the_field_not_the_value(gateway: Gateway) -> None:
    incident = event_json("IncidentRecorded")
    incident["subjects"][0]["nhs_number"] = "9990000017"
    answer = gateway.post(incident)
    assert_error(answer, 422, "invalid_event")
    assert {
        "field": "subjects[0].nhs_number",
        "message": answer.json["problems"][0]["message"],
    } in (answer.json["problems"])
    assert "9990000017" not in answer.text
    assert not gateway.sink.sent


def test_schema_problems_are_422_with_every_field(gateway: Gateway) -> None:
    incident = event_json("IncidentRecorded")
    incident["occurred_at"] = "last Tuesday"
    incident["children"][0]["date_of_birth"] = "14/03/2017"
    incident["colour"] = "blue"
    answer = gateway.post(incident)
    assert_error(answer, 422, "invalid_event")
    fields = {p["field"] for p in answer.json["problems"]}
    assert {"occurred_at", "children[0].date_of_birth"} <= fields
    assert "14/03/2017" not in answer.text
    assert not gateway.sink.sent


def test_an_event_from_the_future_is_422(gateway: Gateway) -> None:
    later = codec.to_json({"t": SAMPLE_NOW + timedelta(hours=1)})["t"]
    answer = gateway.post(event_json("IncidentRecorded") | {"occurred_at": later})
    assert_error(answer, 422, "invalid_event")
    assert "occurred_at" in {p["field"] for p in answer.json["problems"]}


def test_a_body_over_the_limit_is_413() -> None:
    small = Gateway(max_body_bytes=4096)
    try:
        incident = event_json("IncidentRecorded")
        incident["circumstances"] = "x" * 5000
        assert_error(small.post(incident), 413, "body_too_large")

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read until the limit
            for _ in range(10):
                yield b" " * 1000

        chunked = small.request(
            "POST", "/v1/events", body=chunks(), headers={"Authorization": f"Bearer {POLICE}"}
        )
        assert_error(chunked, 413, "body_too_large")
        assert not small.sink.sent
    finally:
        small.close()


def test_an_unreachable_broker_is_503_so_the_client_retries(gateway: Gateway) -> None:
    gateway.sink.down = True
    answer = gateway.post(event_json("IncidentRecorded"))
    assert_error(answer, 503, "kafka_unavailable")
    assert int(answer.headers["Retry-After"]) > 0
    assert gateway.request("GET", "/healthz").json == {"status": "ok", "kafka": False}


def test_unknown_paths_and_methods_answer_json(gateway: Gateway) -> None:
    assert_error(gateway.request("GET", "/v1/nothing"), 404, "not_found")
    assert_error(gateway.request("GET", "/v1/events"), 405, "method_not_allowed")


def test_healthz(gateway: Gateway) -> None:
    answer = gateway.request("GET", "/healthz")
    assert answer.status == 200
    assert answer.json == {"status": "ok", "kafka": True}


def test_metrics_count_requests_by_status_and_agency_kind_never_by_token(
    gateway: Gateway,
) -> None:
    gateway.post(event_json("IncidentRecorded"))
    gateway.post(b"nope")
    gateway.post(event_json("IncidentRecorded"), token="hub_wrong")
    text = gateway.request("GET", "/metrics").text
    assert 'hub_gateway_requests_total{agency_kind="POLICE",status="202"} 1.0' in text
    assert 'hub_gateway_requests_total{agency_kind="POLICE",status="400"} 1.0' in text
    assert 'hub_gateway_requests_total{agency_kind="none",status="401"} 1.0' in text
    assert "hub_gateway_request_duration_seconds_count 3.0" in text
    assert "hub_wrong" not in text
    assert POLICE not in text
    assert "cleveland-police" not in text


def test_the_access_log_is_json_without_bodies_or_tokens(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="streams.gateway.access"):
        accepted = gateway.post(event_json("IncidentRecorded"))
        bad = event_json("IncidentRecorded")
        bad["subjects"][0]["nhs_number"] = "9990000017"
        gateway.post(bad)
    # A dict per request: the JSON formatter (streams/logs.py) makes its keys fields of the line.
    lines: list[dict[str, Any]] = [
        r.msg for r in caplog.records if r.name.endswith("access") and isinstance(r.msg, dict)
    ]
    assert len(lines) == len([r for r in caplog.records if r.name.endswith("access")])
    json.dumps(lines)  # serialisable as they are
    assert [line["status"] for line in lines] == [202, 422]
    assert lines[0]["event_id"] == accepted.json["event_id"]
    assert lines[0]["agency_kind"] == "POLICE"
    assert lines[1]["refused"] == "invalid_event"
    logged = caplog.text
    for secret in (POLICE, CHILD_NHS, "9990000017", "Testington"):
        assert secret not in logged

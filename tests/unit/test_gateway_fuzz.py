"""Property tests: whatever arrives at POST /v1/events, the gateway answers with a documented status
(202/400/401/403/413/422, never 500), a JSON reason for every refusal, and produces exactly the
events it accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from schemas import codec
from tests.unit.event_samples import CHILD_NHS, SAMPLE_EVENT_TYPES
from tests.unit.test_gateway_http import TOKENS, Answer, Gateway, event_json

ANSWERS = {202, 400, 401, 403, 413, 422}
PERSONAL = ("Testington", CHILD_NHS, "K808001001001", "TS18 1AA", "PP-100234")
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
tokens = st.sampled_from([*TOKENS.values(), "hub_forged-token", None])


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    # Small body limit, so that 413 is reachable without megabytes per example.
    running = Gateway(max_body_bytes=16 * 1024)
    try:
        yield running
    finally:
        running.close()


def _paths(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and indexes) into a JSON value, the root excluded."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, inner in items:
        yield (*here, key)
        yield from _paths(inner, (*here, key))


def _parent(obj: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        obj = obj[key]
    return obj


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid event with fields deleted, replaced by random JSON, or its type or source swapped;
    returned with the token of the agency it was first written as."""
    event_type = draw(st.sampled_from(SAMPLE_EVENT_TYPES))
    obj = event_json(event_type)
    obj["event_id"] = str(draw(st.uuids()))
    token = TOKENS[obj["source"]["agency_id"]]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        action = draw(st.sampled_from(["delete", "replace", "retype", "impersonate"]))
        if action == "retype":
            obj["event_type"] = draw(st.sampled_from(SAMPLE_EVENT_TYPES) | st.text(max_size=20))
        elif action == "impersonate":
            obj["source"] = {
                **(obj["source"] if isinstance(obj.get("source"), dict) else {}),
                "agency_id": draw(st.sampled_from(sorted(TOKENS))),
                "agency_kind": draw(st.sampled_from(["POLICE", "SCHOOL", "HEALTH", "WIZARDS"])),
            }
        else:
            paths = list(_paths(obj))
            if not paths:
                continue
            path = draw(st.sampled_from(paths))
            parent = _parent(obj, path)
            if action == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_values)
    return obj, token


def _check(gateway: Gateway, body: bytes, token: str | None) -> Answer:
    sent_before = len(gateway.sink.sent)
    answer = gateway.post(body, token=token)
    assert answer.status in ANSWERS, answer.text
    if currently_in_test_context():
        event(f"status {answer.status}")  # --hypothesis-show-statistics shows the mix
    assert answer.headers["Content-Type"].startswith("application/json")
    assert isinstance(answer.json, dict)
    new = gateway.sink.sent[sent_before:]
    if answer.status == 202:
        [(_topic, _key, value)] = new
        assert answer.json == {"event_id": str(codec.decode(value).record["event_id"])}
        return answer
    assert not new, "a refused event must not be produced"
    assert isinstance(answer.json["error"], str)
    assert isinstance(answer.json["message"], str)
    assert answer.json["message"]
    if answer.status == 422:
        assert answer.json["problems"]
        for problem in answer.json["problems"]:
            assert set(problem) == {"field", "message"}
            assert isinstance(problem["field"], str)
            assert problem["message"]
    for personal in PERSONAL:
        assert personal not in answer.text, "a refusal never repeats what was sent"
    return answer


@FUZZ
@given(json_values, tokens)
@example([], None)
@example({"event_type": None}, "hub_forged-token")
def test_random_json_is_refused_with_a_reason(
    gateway: Gateway, value: Any, token: str | None
) -> None:
    _check(gateway, json.dumps(value).encode(), token)


@FUZZ
@given(st.binary(max_size=300), tokens)
def test_random_bytes_are_refused_with_a_reason(
    gateway: Gateway, body: bytes, token: str | None
) -> None:
    answer = _check(gateway, body, token)
    assert answer.status != 202


@FUZZ
@given(mutated_events(), st.sampled_from([True, True, True, False]), st.integers(0, 20))
def test_mutated_events_are_accepted_or_refused_with_a_reason(
    gateway: Gateway, event: tuple[dict[str, Any], str], own_token: bool, pad: int
) -> None:
    obj, token = event
    if not own_token:
        token = next(iter(TOKENS.values()))
    if pad == 20:  # now and then, over the body limit
        obj["padding"] = "x" * 20_000
    _check(gateway, json.dumps(obj).encode(), token)


def test_unmutated_events_are_all_accepted(gateway: Gateway) -> None:
    """The generator's starting points are valid: the properties above see 202s, not only 4xx."""
    for event_type in SAMPLE_EVENT_TYPES:
        obj = event_json(event_type)
        answer = _check(gateway, json.dumps(obj).encode(), TOKENS[obj["source"]["agency_id"]])
        assert answer.status == 202, answer.text

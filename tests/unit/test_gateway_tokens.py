"""Agency tokens: issued once, stored only as peppered hashes, rights never wider than the table."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from streams.gateway.demo import DEMO_AGENCIES, ensure_demo_tokens
from streams.gateway.settings import GatewaySettings
from streams.gateway.tokens import (
    SCHEME,
    Agency,
    TokenFileError,
    TokenStore,
    ensure_pepper,
    hash_token,
    issue_token,
    parse_token_file,
    publishable_types,
)

PEPPER = b"unit-test-pepper-0123456789abcdef"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_issued_token_authenticates_its_agency_and_is_never_stored(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    token = issue_token(tokens_file, PEPPER, agency_id="cleveland-police", agency_kind="POLICE")
    store = TokenStore(PEPPER, parse_token_file(json.loads(tokens_file.read_text())))
    agency = store.authenticate(token)
    assert agency is not None
    assert (agency.agency_id, agency.agency_kind) == ("cleveland-police", "POLICE")
    assert token not in tokens_file.read_text()
    assert hash_token(token, PEPPER) in tokens_file.read_text()
    assert _mode(tokens_file) == 0o600


def test_a_wrong_token_or_another_pepper_authenticates_nobody(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    token = issue_token(tokens_file, PEPPER, agency_id="cleveland-police", agency_kind="POLICE")
    entries = parse_token_file(json.loads(tokens_file.read_text()))
    assert TokenStore(PEPPER, entries).authenticate(token + "x") is None
    assert TokenStore(PEPPER, entries).authenticate("") is None
    assert TokenStore(b"another-pepper-0123456789abcdef", entries).authenticate(token) is None


def test_each_token_maps_to_its_own_agency(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    police = issue_token(tokens_file, PEPPER, agency_id="cleveland-police", agency_kind="POLICE")
    school = issue_token(tokens_file, PEPPER, agency_id="urn-123456", agency_kind="SCHOOL")
    store = TokenStore.load(tokens_file, _pepper_file(tmp_path))
    assert len(store) == 2
    assert [store.authenticate(t) for t in (police, school)] == [
        Agency(
            agency_id="cleveland-police",
            agency_kind="POLICE",
            event_types=publishable_types("POLICE"),
        ),
        Agency(
            agency_id="urn-123456", agency_kind="SCHOOL", event_types=publishable_types("SCHOOL")
        ),
    ]


def _pepper_file(tmp_path: Path) -> Path:
    path = tmp_path / "pepper"
    path.write_bytes(PEPPER + b"\n")
    return path


def test_by_default_a_token_may_publish_what_its_agency_kind_may(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    token = issue_token(tokens_file, PEPPER, agency_id="urn-123456", agency_kind="SCHOOL")
    agency = TokenStore.load(tokens_file, _pepper_file(tmp_path)).authenticate(token)
    assert agency is not None
    assert agency.event_types == publishable_types("SCHOOL")
    assert agency.may_send("ConcernRaised")
    assert not agency.may_send("IncidentRecorded")


def test_a_token_can_be_narrowed_but_never_widened(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    narrow = issue_token(
        tokens_file,
        PEPPER,
        agency_id="cleveland-police",
        agency_kind="POLICE",
        event_types=["EncompassNotificationRequested"],
    )
    agency = TokenStore.load(tokens_file, _pepper_file(tmp_path)).authenticate(narrow)
    assert agency is not None
    assert agency.event_types == {"EncompassNotificationRequested"}
    with pytest.raises(TokenFileError, match="may not publish IncidentRecorded"):
        issue_token(
            tokens_file,
            PEPPER,
            agency_id="urn-123456",
            agency_kind="SCHOOL",
            event_types=["IncidentRecorded"],
        )
    assert len(TokenStore.load(tokens_file, _pepper_file(tmp_path))) == 1, "nothing was added"


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"agency_id": "cleveland-police", "agency_kind": "POLICE"}
    entry.update(changes)
    return entry


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"scheme": "md5", "tokens": {}},
        {"scheme": SCHEME},
        {"scheme": SCHEME, "tokens": {"not-a-digest": _entry()}},
        {"scheme": SCHEME, "tokens": {"a" * 64: _entry(agency_kind="WIZARDS")}},
        {"scheme": SCHEME, "tokens": {"a" * 64: _entry(agency_id="")}},
        {"scheme": SCHEME, "tokens": {"a" * 64: _entry(event_types="IncidentRecorded")}},
        {"scheme": SCHEME, "tokens": {"a" * 64: "POLICE"}},
    ],
)
def test_a_malformed_token_file_is_refused_loudly(data: Any) -> None:
    with pytest.raises(TokenFileError):
        parse_token_file(data)


def test_missing_files_and_a_short_pepper_are_errors_not_an_open_door(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="cannot read the token file"):
        TokenStore.load(tmp_path / "absent.json", _pepper_file(tmp_path))
    (tmp_path / "tokens.json").write_text(json.dumps({"scheme": SCHEME, "tokens": {}}))
    with pytest.raises(TokenFileError, match="pepper"):
        TokenStore.load(tmp_path / "tokens.json", tmp_path / "absent-pepper")
    (tmp_path / "short").write_text("short")
    with pytest.raises(TokenFileError, match="shorter"):
        TokenStore.load(tmp_path / "tokens.json", tmp_path / "short")
    (tmp_path / "garbage.json").write_text("{")
    with pytest.raises(TokenFileError, match="not valid JSON"):
        TokenStore.load(tmp_path / "garbage.json", _pepper_file(tmp_path))


def test_ensure_pepper_creates_a_private_random_pepper_once(tmp_path: Path) -> None:
    first = ensure_pepper(tmp_path / "pepper")
    assert len(first) >= 32
    assert _mode(tmp_path / "pepper") == 0o600
    assert ensure_pepper(tmp_path / "pepper") == first


def test_demo_tokens_are_created_once_and_only_hashes_reach_the_gateway(tmp_path: Path) -> None:
    listing = ensure_demo_tokens(tmp_path)
    assert listing == tmp_path / "demo-tokens.json"
    assert _mode(listing) == 0o600
    demo = json.loads(listing.read_text())["tokens"]
    assert {(d["agency_id"], d["agency_kind"]) for d in demo} == set(DEMO_AGENCIES)
    settings = GatewaySettings.from_env(
        {"HUB_KAFKA_BOOTSTRAP": "127.0.0.1:9", "HUB_STATE_DIR": str(tmp_path)}
    )
    store = TokenStore.load(settings.tokens_file, settings.pepper_file)
    stored = settings.tokens_file.read_text()
    for entry in demo:
        agency = store.authenticate(entry["token"])
        assert agency is not None
        assert agency.agency_id == entry["agency_id"]
        assert sorted(agency.event_types) == entry["event_types"]
        assert entry["token"] not in stored

    before = settings.tokens_file.read_bytes()
    assert ensure_demo_tokens(tmp_path) == listing
    assert settings.tokens_file.read_bytes() == before, "a second `hub up` keeps the tokens"


def test_settings_default_to_loopback_8081_and_the_state_directory(tmp_path: Path) -> None:
    settings = GatewaySettings.from_env(
        {"HUB_KAFKA_BOOTSTRAP": "127.0.0.1:9092", "HUB_STATE_DIR": str(tmp_path)}
    )
    assert (settings.bind, settings.port) == ("127.0.0.1", 8081)
    assert settings.max_body_bytes == 256 * 1024
    assert settings.tokens_file == tmp_path / "gateway-tokens.json"
    assert settings.pepper_file == tmp_path / "gateway-pepper"
    moved = GatewaySettings.from_env(
        {
            "HUB_KAFKA_BOOTSTRAP": "kafka:9092",
            "HUB_GATEWAY_BIND": "192.0.2.10",
            "HUB_GATEWAY_PORT": "18081",
            "HUB_TOKEN_PEPPER_FILE": "/run/secrets/hub_token_pepper",
        }
    )
    assert (moved.bind, moved.port) == ("192.0.2.10", 18081)
    assert moved.pepper_file == Path("/run/secrets/hub_token_pepper")
    with pytest.raises(RuntimeError, match="HUB_KAFKA_BOOTSTRAP"):
        GatewaySettings.from_env({})

"""The one logging set-up (JSON lines, event_id correlation, exceptions without their messages),
the worker's consumer-lag arithmetic, and the settings the compose deployment passes in."""

from __future__ import annotations

import copy
import io
import json
import logging
import uuid
from pathlib import Path

import pytest

from schemas import codec
from streams.consumer_lag import PartitionLag, partition_lags
from streams.logs import EventIdFilter, HubJsonFormatter, record_in_hand
from streams.settings import Settings, read_identity_key
from tests.unit.event_samples import sample_event


def _logger(process: str = "worker") -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(HubJsonFormatter(process=process))
    handler.addFilter(EventIdFilter())
    logger = logging.getLogger(f"test.hub.{uuid.uuid4().hex}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_hub_fields() -> None:
    logger, stream = _logger("projector")
    logger.info("projection %s: started at %s", "chronology", "the beginning")
    (line,) = _lines(stream)
    assert line["level"] == "INFO"
    assert line["process"] == "projector"
    assert line["message"] == "projection chronology: started at the beginning"
    assert str(line["ts"]).startswith("20")
    assert str(line["logger"]).startswith("test.hub.")
    assert "event_id" not in line


def test_a_line_written_while_an_event_is_in_hand_carries_its_event_id() -> None:
    logger, stream = _logger()
    record = copy.deepcopy(sample_event("IncidentRecorded"))
    record["event_id"] = uuid.uuid4()
    try:
        record_in_hand(codec.encode("IncidentRecorded", record))
        logger.warning("processing failed; record dead-lettered (%s)", "KeyError")
        record_in_hand(b"\x07 not avro")
        logger.warning("undecodable")
    finally:
        record_in_hand(None)
    logger.info("after")
    first, undecodable, after = _lines(stream)
    assert first["event_id"] == str(record["event_id"])
    assert "event_id" not in undecodable
    assert "event_id" not in after
    text = stream.getvalue()
    for child in record["children"]:
        assert child["given_name"] not in text


def test_an_exception_is_logged_with_its_frames_and_type_but_not_its_message() -> None:
    logger, stream = _logger()
    try:
        try:
            raise KeyError("9990000017 Charlotte King")
        except KeyError as inner:
            raise ValueError("postcode TS20 5XD is wrong") from inner
    except ValueError:
        logger.exception("processing failed")
    (line,) = _lines(stream)
    trace = str(line["exc_info"])
    assert "builtins.ValueError" in trace
    assert "builtins.KeyError" in trace
    assert "test_an_exception_is_logged" in trace  # the frames are there
    assert "9990000017" not in trace
    assert "Charlotte" not in trace
    assert "TS20" not in trace


def test_access_log_dicts_become_fields_of_the_line() -> None:
    logger, stream = _logger("api")
    logger.info({"method": "GET", "route": "/v1/children/{child_id}/chronology", "status": 200})
    (line,) = _lines(stream)
    assert line["route"] == "/v1/children/{child_id}/chronology"
    assert line["status"] == 200
    assert line["process"] == "api"


def test_lag_is_end_less_committed_for_assigned_partitions_except_changelogs() -> None:
    lags = partition_lags(
        [("hub.ingest.police.v1", 1), ("hub.ingest.police.v1", 0), ("hub-digests-changelog", 0)],
        {
            ("hub.ingest.police.v1", 0): 120,
            ("hub.ingest.police.v1", 1): 7,
            ("hub-digests-changelog", 0): 999,
        },
        {("hub.ingest.police.v1", 0): 100, ("hub.ingest.police.v1", 1): None},
    )
    assert lags == [
        PartitionLag("hub.ingest.police.v1", 0, 20),
        PartitionLag("hub.ingest.police.v1", 1, 7),  # nothing committed: all of it is to do
    ]
    assert partition_lags([("t", 0)], {}, {("t", 0): 5}) == []  # end unknown: not reported
    assert partition_lags([("t", 0)], {("t", 0): 5}, {("t", 0): 9}) == [PartitionLag("t", 0, 0)]


def test_settings_read_the_identity_key_from_a_secret_file_and_the_kafka_security(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "hub_identity_key"
    key_file.write_text("s3cret-identity-key\n")
    password = tmp_path / "kafka_hub_worker_password"
    password.write_text("pw-from-file\n")
    env = {
        "HUB_KAFKA_BOOTSTRAP": "kafka:9092",
        "HUB_POSTGRES_DSN": "postgresql://hub_app@postgres/hub",
        "HUB_IDENTITY_KEY_FILE": str(key_file),
        "HUB_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "HUB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "HUB_KAFKA_USERNAME": "hub-worker",
        "HUB_KAFKA_PASSWORD_FILE": str(password),
    }
    settings = Settings.from_env(env)
    assert settings.identity_key == b"s3cret-identity-key"
    assert settings.kafka_client_options() == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "hub-worker",
        "sasl_plain_password": "pw-from-file",
    }
    credentials = settings.faust_credentials()
    assert credentials.username == "hub-worker"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    local = Settings.from_env({k: env[k] for k in ("HUB_KAFKA_BOOTSTRAP", "HUB_POSTGRES_DSN")})
    assert local.identity_key is None
    assert local.faust_credentials() is None
    assert local.kafka_client_options() == {}


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"HUB_IDENTITY_KEY": "from-env"}, "from-env"), ({}, "")],
)
def test_the_identity_key_comes_from_the_environment_when_no_file_is_named(
    env: dict[str, str], expected: str
) -> None:
    assert read_identity_key(env) == expected

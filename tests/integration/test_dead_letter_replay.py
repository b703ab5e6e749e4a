"""`hub dead-letters replay` against the real broker and stream worker.

A processing_error dead letter (the hub failed on a good event; written here exactly as the
worker writes one) is replayed after "the fix": the worker accepts the event once. Replaying
again is harmless: the event comes back as a duplicate_event_id dead letter, never a second
accepted event. Dead letters outside the chosen reason and window are left alone.
"""

from __future__ import annotations

import copy
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from kafka import KafkaProducer

from ops.cli_dead_letters import dead_letters
from ops.dead_letters import REPLAYED_FROM, DeadLetter, Selection
from schemas import codec
from schemas.topics import ACCEPTED, DEAD_LETTER, ingest_topic
from tests.conftest import Stack, Worker
from tests.integration.kafka_helpers import header, read_until
from tests.unit.event_samples import sample_event

pytestmark = pytest.mark.integration


def _dead_letter(producer: KafkaProducer, *, key: bytes, value: bytes, reason: str) -> None:
    producer.send(
        DEAD_LETTER,
        key=key,
        value=value,
        headers=[
            ("hub.reason", reason.encode()),
            ("hub.detail", b"ValueError in the hub"),
            ("hub.source.topic", ingest_topic("police").encode()),
            ("hub.source.partition", b"0"),
            ("hub.source.offset", b"0"),
            ("hub.dead_lettered_at", datetime.now(UTC).isoformat().encode()),
        ],
    ).get(timeout=30)


def _replay(bootstrap: str, since: datetime) -> str:
    result = CliRunner().invoke(
        dead_letters,
        [
            "replay",
            "--reason",
            "processing_error",
            "--since",
            since.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "--bootstrap",
            bootstrap,
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.timeout(300)
def test_a_replayed_processing_error_is_accepted_once_and_a_second_replay_changes_nothing(
    stack: Stack, worker: Worker
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    incident = copy.deepcopy(sample_event("IncidentRecorded"))
    incident["event_id"] = uuid.uuid4()
    value = codec.encode("IncidentRecorded", incident)
    key = f"replay-{uuid.uuid4().hex[:8]}".encode()
    other_key = f"replay-other-{uuid.uuid4().hex[:8]}".encode()
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap)
    _dead_letter(producer, key=key, value=value, reason="processing_error")
    # Another reason in the same window: not chosen, so not replayed.
    _dead_letter(producer, key=other_key, value=b"\x07junk", reason="malformed")
    producer.close()
    event_key = str(incident["event_id"]).encode()

    dry = CliRunner().invoke(
        dead_letters,
        ["replay", "--reason", "processing_error", "--dry-run", "--bootstrap", stack.bootstrap],
    )
    assert dry.exit_code == 0, dry.output
    assert "would replay" in dry.output

    output = _replay(stack.bootstrap, since)
    assert "replayed 1 of" in output
    accepted = read_until(
        stack.bootstrap, ACCEPTED, lambda rs: len(rs) >= 1, keep=lambda r: r.key == event_key
    )
    # (The accepted bytes differ: ingest seals personal fields. The replay itself is checked
    # below on the ingest topic, where the original bytes must arrive untouched.)
    assert codec.decode(accepted[0].value).event_type == "IncidentRecorded"

    # Again: the worker already holds the event, so it is a duplicate dead letter this time.
    _replay(stack.bootstrap, since)
    replayed_on_ingest = read_until(
        stack.bootstrap,
        ingest_topic("police"),
        lambda rs: len(rs) >= 2,
        keep=lambda r: r.key == key,
    )
    assert all(header(r, REPLAYED_FROM).startswith(f"{DEAD_LETTER}/") for r in replayed_on_ingest)
    assert all(r.value == value for r in replayed_on_ingest), "key and bytes untouched"
    # The second copy is refused as a re-publication of an accepted event (ingest compares the
    # sealed bytes, so it may call it conflicting rather than duplicate). Found by its origin:
    # ingest seals the publisher's key, so the dead letter's key is not the plain one.
    second = max(replayed_on_ingest, key=lambda r: r.offset)
    refused = read_until(
        stack.bootstrap,
        DEAD_LETTER,
        lambda rs: len(rs) >= 1,
        keep=lambda r: (
            header(r, "hub.source.topic") == ingest_topic("police")
            and header(r, "hub.source.partition") == str(second.partition)
            and header(r, "hub.source.offset") == str(second.offset)
        ),
        timeout_s=90,
    )
    assert header(refused[0], "hub.reason") in {"duplicate_event_id", "conflicting_event_id"}
    time.sleep(2)  # give a (wrong) second acceptance time to show up
    again = read_until(
        stack.bootstrap, ACCEPTED, lambda rs: len(rs) >= 1, keep=lambda r: r.key == event_key
    )
    assert len(again) == 1, "replaying twice must not accept the event twice"
    untouched = read_until(
        stack.bootstrap, ingest_topic("police"), lambda rs: True, keep=lambda r: r.key == other_key
    )
    assert untouched == [], "a dead letter of another reason was replayed"


def _letter(
    reason: str, at: datetime | None, source: str | None = "hub.ingest.police.v1"
) -> DeadLetter:
    return DeadLetter(
        partition=0,
        offset=1,
        reason=reason,
        source_topic=source,
        dead_lettered_at=at,
        key=b"k",
        value=b"v",
    )


def test_the_selection_keeps_to_its_reasons_source_and_window() -> None:
    now = datetime.now(UTC)
    chosen = Selection(
        reasons=frozenset({"processing_error"}),
        source_topic="hub.ingest.police.v1",
        since=now - timedelta(hours=1),
        until=now,
    )
    assert chosen.wants(_letter("processing_error", now - timedelta(minutes=5)))
    assert not chosen.wants(_letter("invalid", now - timedelta(minutes=5)))
    assert not chosen.wants(_letter("processing_error", now - timedelta(hours=2)))
    assert not chosen.wants(_letter("processing_error", now))
    assert not chosen.wants(_letter("processing_error", None))
    assert not chosen.wants(
        _letter("processing_error", now - timedelta(minutes=5), "hub.ingest.health.v1")
    )
    assert not chosen.wants(_letter("processing_error", now - timedelta(minutes=5), None))
    with pytest.raises(ValueError, match="at least one reason"):
        Selection(reasons=frozenset())

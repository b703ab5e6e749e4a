"""`hub publish` against the real broker: every good line lands on its agency's ingest topic."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from kafka import KafkaConsumer

from ops.cli_tools import publish, simulate
from schemas import codec
from schemas.topics import INGEST_KINDS, ingest_topic, ingest_topic_for_agency
from streams.simulation import read_lines, to_line
from tests.conftest import Stack
from tests.unit.event_samples import sample_event

pytestmark = pytest.mark.integration


def _read_back(bootstrap: str, wanted: set[str], timeout_s: float = 60.0) -> dict[str, str]:
    """event_id -> topic for the wanted events, read from every ingest topic from the start."""
    consumer = KafkaConsumer(
        *(ingest_topic(kind) for kind in INGEST_KINDS),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=500,
    )
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and not wanted <= set(found):
            for message in consumer:
                try:
                    decoded = codec.decode(message.value)
                except codec.DecodeError:
                    continue  # other tests in the session publish deliberately bad records

                event_id = str(decoded.record["event_id"])
                if event_id in wanted:
                    assert event_id not in found, "an event was sent twice"
                    found[event_id] = message.topic
    finally:
        consumer.close()
    return found


def test_a_simulated_file_lands_on_the_expected_ingest_topics(stack: Stack, tmp_path: Path) -> None:
    out, manifest = tmp_path / "week.jsonl", tmp_path / "manifest.json"
    start = (datetime.now(UTC) - timedelta(days=10)).date()
    size = ["--children", "40", "--schools", "3", "--days", "5", "--seed", "9"]
    files = ["--out", str(out), "--manifest", str(manifest)]
    runner = CliRunner()
    made = runner.invoke(simulate, [*size, "--start", start.isoformat(), *files])
    assert made.exit_code == 0, made.output
    assert json.loads(manifest.read_text())["days"] == 5
    records = [line.record for line in read_lines(out.read_text().splitlines())]
    expected = {
        str(r["event_id"]): ingest_topic_for_agency(r["source"]["agency_kind"])
        for r in records
        if r is not None
    }
    assert len(expected) == len(records) > 40

    sent = runner.invoke(publish, [str(out), "--bootstrap", stack.bootstrap])
    assert sent.exit_code == 0, sent.output
    assert f"sent {len(expected)}; rejected 0" in sent.output
    assert _read_back(stack.bootstrap, set(expected)) == expected


def test_a_bad_line_is_reported_by_number_and_the_rest_are_sent(
    stack: Stack, tmp_path: Path
) -> None:
    good = [sample_event(t) for t in ("ConcernRaised", "VisitRecorded", "IncidentRecorded")]
    for record in good:
        record["event_id"] = uuid.uuid4()  # the samples' fixed ids may already be on the topics
    bad_digit = sample_event("PersonRegistered")
    bad_digit["nhs_number"] = "9990000017"
    path = tmp_path / "mixed.jsonl"
    lines = [to_line(good[0]), to_line(good[1]), '{"event_type": "Concern', to_line(good[2])]
    lines.append(to_line(bad_digit))
    path.write_text("\n".join(lines) + "\n")

    result = CliRunner().invoke(publish, [str(path), "--bootstrap", stack.bootstrap])

    assert result.exit_code == 1
    assert "sent 3; rejected 2" in result.output
    assert "bad JSON" in result.output
    assert "line 3" in result.output
    assert "nhs_number: is not a valid NHS number (modulus 11 check): line 5" in result.output
    assert "9990000017" not in result.output
    wanted = {str(r["event_id"]): ingest_topic_for_agency(r["source"]["agency_kind"]) for r in good}
    assert _read_back(stack.bootstrap, set(wanted)) == wanted


def test_clear_errors_for_a_missing_file_and_an_unreachable_broker(
    stack: Stack, tmp_path: Path
) -> None:
    missing = CliRunner().invoke(publish, [str(tmp_path / "nope.jsonl"), "--bootstrap", "x:1"])
    assert missing.exit_code == 1
    assert "no such file" in missing.output
    path = tmp_path / "one.jsonl"
    path.write_text(to_line(sample_event("ConcernRaised")) + "\n")
    unreachable = CliRunner().invoke(publish, [str(path), "--bootstrap", "127.0.0.1:1"])
    assert unreachable.exit_code == 1
    assert "cannot reach the Kafka broker at 127.0.0.1:1" in unreachable.output

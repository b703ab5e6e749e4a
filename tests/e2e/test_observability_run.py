"""A full simulated run against the real stack, watched as the on-call engineer watches it.

`hub up`, scrape every process's /metrics, `hub demo` (200 synthetic children, 7 days), a bad
record on an ingest topic, an event through the gateway, a Key Adult reading their inbox, a
child's chronology and acknowledging a notification; then scrape again and check that every
series the issue lists moved, with label values that are kinds, templates and reasons only.
Then read every process's log file: each line is one JSON object, and none holds a name,
identifier, address or free text the simulator generated, nor a hub child id.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from schemas.topics import ingest_topic
from tests.conftest import HubCli
from tests.unit.event_samples import sample_event

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROCESSES = ("worker", "gateway", "projector", "api")
SEED = 4242
# Event fields whose string values are personal data or identify a person or an incident.
PERSONAL_FIELDS = {
    "nhs_number",
    "upn",
    "police_person_ref",
    "la_child_id",
    "given_name",
    "family_name",
    "postcode",
    "address",
    "police_reference",
    "circumstances",
    "summary",
    "voice_of_child",
    "where_present",
}  # not ReferralMade.destination: an enum (FRONT_DOOR is no one's data)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape_when_up(url: str, log: Path, timeout_s: float = 90) -> Samples:
    """The first scrape of a process `hub up --detach` has just started."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return scrape(url)
        except OSError:
            assert time.monotonic() < deadline, f"{url} not up:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)


def total(samples: Samples, name: str, **match: str) -> float:
    return sum(
        v
        for (n, labels), v in samples.items()
        if n == name and all(dict(labels).get(k) == want for k, want in match.items())
    )


def labels_of(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels), _ in samples.items() if n == name]


def call(
    url: str, token: str, *, method: str = "GET", body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body, default=str).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def personal_strings(events_file: Path, manifest: dict[str, Any]) -> set[str]:
    """Every name, identifier and free text the simulator wrote into the published events."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in PERSONAL_FIELDS and value.strip():
            found.add(value)

    for line in events_file.read_text().splitlines():
        walk(json.loads(line))
    for child in manifest["children"]:
        found |= {child["given_name"], child["family_name"], child["postcode"]}
        found |= set(child["identifiers"].values())
    return found


def occurrences(needles: Iterable[str], text: str) -> set[str]:
    """Needles found in the text as whole words (so 'Ava' does not match 'Java')."""
    return {n for n in needles if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)}


@pytest.mark.timeout(600)
def test_a_simulated_run_moves_every_listed_series_and_logs_json_without_personal_data(
    hub_cli: HubCli,
) -> None:
    root = hub_cli.root
    started = hub_cli("up", "--detach")
    assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
    endpoints = json.loads((root / "endpoints.json").read_text())
    metrics_urls = {name: endpoints["urls"][f"{name}_metrics"] for name in PROCESSES}
    before = {
        name: scrape_when_up(url, root / "logs" / f"{name}.log")
        for name, url in metrics_urls.items()
    }

    began = time.monotonic()
    demo = hub_cli(
        "demo", "--children", "200", "--schools", "8", "--days", "7", "--seed", str(SEED)
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "reconciled" in demo.stdout
    demo_seconds = time.monotonic() - began
    # The demo restarts the API for its new Key Adults: it may answer on other ports now.
    endpoints = json.loads((root / "endpoints.json").read_text())
    metrics_urls = {name: endpoints["urls"][f"{name}_metrics"] for name in PROCESSES}

    # A record no framing can decode: a dead letter of reason malformed, type unknown.
    producer = KafkaProducer(bootstrap_servers=endpoints["kafka_bootstrap"])
    producer.send(ingest_topic("health"), key=b"obs-bad", value=b"\x07 not avro").get(30)
    producer.close()

    # One event through the HTTP gateway.
    tokens = json.loads((root / "demo-tokens.json").read_text())["tokens"]
    police = next(t["token"] for t in tokens if t["agency_kind"] == "POLICE")
    event = sample_event("IncidentRecorded")
    event["event_id"] = uuid.uuid4()
    status, _ = call(f"{endpoints['urls']['gateway']}/v1/events", police, method="POST", body=event)
    assert status == 202

    # The DPO reads the chronology of a child Encompass notified about (audited, by template).
    api = endpoints["urls"]["api"]
    logins = json.loads((root / "demo-logins.json").read_text())["logins"]
    dpo = next(p["token"] for p in logins if p["role"] == "DPO")
    read_child = None
    deadline = time.monotonic() + 120  # notifications are projected after the accepted events
    while read_child is None:
        with psycopg.connect(endpoints["postgres_dsn"]) as conn:
            row = conn.execute(
                "SELECT child_id FROM encompass_alerts WHERE child_id IS NOT NULL LIMIT 1"
            ).fetchone()
        if row is None:
            assert time.monotonic() < deadline, "no Encompass notification was projected"
            time.sleep(3)
            continue
        read_child = str(row[0])
    reason = urllib.parse.quote("audit of an Encompass notification")
    status, read = call(f"{api}/v1/children/{read_child}/chronology?reason={reason}", dpo)
    assert status == 200, read

    # The lag timer runs every 10 s; wait for its first figures and for the ack to be folded.
    deadline = time.monotonic() + 60
    while True:
        after = {name: scrape(url) for name, url in metrics_urls.items()}
        worker = after["worker"]
        if (
            labels_of(worker, "hub_consumer_lag_records")
            and total(worker, "hub_events_dead_lettered_total", reason="malformed") >= 1
        ):
            break
        assert time.monotonic() < deadline, "worker series did not appear within 60 s"
        time.sleep(2)

    def moved(process: str, name: str, **match: str) -> bool:
        return total(after[process], name, **match) > total(before[process], name, **match)

    # Worker: accepted and dead-lettered by agency kind and type, sharing by outcome and basis,
    # Encompass issued / delivered (on time or late), and consumer lag. (Acknowledged is not
    # checked here: the demo's notifications all go to an LA coordinator inbox id that no demo
    # login holds; tests/integration/test_api_reads.py covers the acknowledgement.)
    assert moved("worker", "hub_events_accepted_total", agency_kind="POLICE")
    assert moved("worker", "hub_events_accepted_total", agency_kind="SCHOOL")
    assert moved("worker", "hub_ingest_latency_seconds_count")
    assert moved("worker", "hub_referrals_routed_total")
    assert moved("worker", "hub_events_dead_lettered_total", event_type="unknown")
    assert moved("worker", "hub_sharing_decisions_total", outcome="shared")
    assert {lbl["basis"] for lbl in labels_of(after["worker"], "hub_sharing_decisions_total")}
    assert moved("worker", "hub_encompass_notifications_issued_total")
    assert moved("worker", "hub_encompass_delivered_total")
    lag = labels_of(after["worker"], "hub_consumer_lag_records")
    assert {lbl["group"] for lbl in lag} == {"hub"}
    assert any(lbl["topic"] == ingest_topic("police") for lbl in lag)
    assert all(not lbl["topic"].endswith("-changelog") for lbl in lag)
    # Projector: batch sizes, commit times, both latencies, lag per topic and partition.
    for series in (
        "hub_projection_batch_size_count",
        "hub_projection_commit_seconds_count",
        "hub_projection_e2e_latency_seconds_count",
        "hub_projection_occurred_latency_seconds_count",
        "hub_projection_events_total",
    ):
        assert moved("projector", series, projection="accepted_events"), series
    projector_lag = labels_of(after["projector"], "hub_projection_lag_records")
    assert {"projection", "topic", "partition"} <= set(projector_lag[0])
    # Read API: latency by route template and status, audit events written.
    endpoints_seen = {
        lbl["endpoint"] for lbl in labels_of(after["api"], "hub_api_request_duration_seconds_count")
    }
    assert "GET /v1/children/{child_id}/chronology" in endpoints_seen
    assert all(read_child not in e for e in endpoints_seen)
    assert moved("api", "hub_audit_events_written_total")
    assert moved("gateway", "hub_gateway_requests_total", status="202")

    # No label value anywhere is a child id or a simulated identifier.
    manifest = json.loads((root / "demo" / "manifest.json").read_text())
    personal = personal_strings(root / "demo" / "week.jsonl", manifest)
    with psycopg.connect(endpoints["postgres_dsn"]) as conn:
        rows = conn.execute("SELECT DISTINCT record_id, child_id FROM encompass_alerts").fetchall()
    child_ids = {str(value) for row in rows for value in row if value}
    assert read_child in child_ids
    label_values = {v for samples in after.values() for (_, lbls) in samples for _, v in lbls}
    leaked = label_values & (personal | child_ids)
    assert not leaked, f"label values that are personal data or child ids: {sorted(leaked)}"

    # Logs: JSON lines only, and nothing personal in them.
    needles = personal | child_ids
    assert len(needles) > 600, "the scan must have something to look for"
    scanned = 0
    for name in PROCESSES:
        text = (root / "logs" / f"{name}.log").read_text(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines, f"{name}.log is empty"
        for line in lines:
            entry = json.loads(line)  # fails the test on any non-JSON line
            assert {"ts", "level", "logger", "message", "process"} <= set(entry), line
        leaked = occurrences(needles, text)
        assert not leaked, (
            f"{name}.log holds {len(leaked)} personal strings, e.g. {sorted(leaked)[:3]}"
        )
        scanned += len(lines)
    assert scanned > 20
    # The worker's own faust lines are JSON too, and name the process.
    worker_log = (root / "logs" / "worker.log").read_text()
    assert '"process": "worker"' in worker_log
    assert "Worker]: Ready" in worker_log
    print(f"\nobservability run: demo {demo_seconds:.0f}s, {scanned} log lines scanned for "
          f"{len(needles)} personal strings")  # fmt: skip

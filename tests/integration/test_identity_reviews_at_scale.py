"""The identity review queue, against the real stack, holds exactly what the simulator planted.

Every ambiguity the generator plants (one child registered by two agencies under different
identifiers, with no NHS number to join them) must reach a practitioner as one review of exactly
that pair of records; nothing else in the history may be queued (no wrong-child suggestions).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ops.publish import publish_file
from schemas import codec
from schemas.topics import IDENTITY
from streams.simulation import generate, to_lines
from tests.conftest import Stack, Worker
from tests.integration.kafka_helpers import read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]


def test_the_review_queue_holds_exactly_the_planted_ambiguities(
    stack: Stack, worker: Worker, tmp_path: Path
) -> None:
    rng = random.Random()
    start = date(2022, 1, 3) + timedelta(days=rng.randrange(900))
    scenario = generate(rng.randrange(2**31), children=400, schools=8, days=10, start=start)
    planted = scenario.manifest.ambiguities
    assert planted, "the generator plants ambiguities at this size"
    events_file = tmp_path / "history.jsonl"
    events_file.write_text("".join(to_lines(scenario.events)), encoding="utf-8")
    summary = publish_file(
        events_file, bootstrap=stack.bootstrap, now=datetime.now(UTC) + timedelta(days=1)
    )
    assert summary.sent == len(scenario.events)
    assert not summary.rejected

    ours = {str(e["event_id"]) for e in scenario.events}

    def resolved_all(kept: list[Any]) -> bool:
        # Unique source events: a worker may redeliver its last batch.
        return len({codec.decode(r.value).record["source_event_id"] for r in kept}) >= len(ours)

    resolved = read_until(
        stack.bootstrap, IDENTITY, resolved_all, timeout_s=420,
        keep=lambda r: (
            codec.decode(r.value).event_type == "SubjectsResolved"
            and str(codec.decode(r.value).record["source_event_id"]) in ours
        ),
    )  # fmt: skip
    records_of: dict[str, set[str]] = {}
    for message in resolved:
        record = codec.decode(message.value).record
        records_of[str(record["source_event_id"])] = {r["record_id"] for r in record["resolutions"]}
    our_records = set().union(*records_of.values())

    expected: set[tuple[str, ...]] = set()
    for ambiguity in planted:
        records = set().union(*(records_of[str(i)] for i in ambiguity.registration_event_ids))
        assert len(records) == 2, f"{ambiguity.child_key}: its registrations made two records"
        expected.add(tuple(sorted(records)))

    reviews = read_until(
        stack.bootstrap, IDENTITY, lambda kept: True, timeout_s=30,
        keep=lambda r: (
            codec.decode(r.value).event_type == "IdentityReviewRequested"
            and bool(set(codec.decode(r.value).record["child_ids"]) & our_records)
        ),
    )  # fmt: skip
    queued = [tuple(sorted(codec.decode(r.value).record["child_ids"])) for r in reviews]
    assert len(queued) == len(set(queued)), "each pair is queued once"
    assert set(queued) == expected, (
        f"{len(set(queued) - expected)} unexpected, {len(expected - set(queued))} missing "
        f"of {len(expected)} planted"
    )
    print(f"\n{len(planted)} planted ambiguities, {len(queued)} reviews queued, all matching")

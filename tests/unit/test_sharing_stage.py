"""The sharing stage's pure core over the issue's scripted history, replays, and the shares
projection's mapping of what it emits."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from projections.model import SourceRecord
from projections.shares import RefusalRow, RevocationRow, ShareRow, rows
from schemas import codec
from streams.policy import load_default_agreement
from streams.policy.relationships import Area
from streams.policy.stage import (
    ChildSharingState,
    Output,
    Step,
    output_event_id,
    policy_adopted,
    process,
)
from streams.policy.stage_json import state_from_json, state_to_json
from streams.policy.vocabulary import EventType, Level
from tests.unit.sharing_history import LEAD_PRACTITIONER, SCHOOL_DSL, scripted_history

AGREEMENT = load_default_agreement()
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
RECORD = "rec-1"


def _run(records: list[dict[str, Any]]) -> tuple[ChildSharingState, list[Step]]:
    state, steps = ChildSharingState(), []
    for record in records:
        step = process(state, record, record_id=RECORD, agreement=AGREEMENT, area=Area(), now=NOW)
        # Through the table's JSON every time, as the agent does.
        state = state_from_json(state_to_json(step.state))
        assert state == step.state
        steps.append(step)
    return state, steps


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    return scripted_history("9990000018", datetime(2026, 11, 10, 9, 0, tzinfo=UTC), "T1")


def _shared(steps: list[Step], recipient: str) -> list[tuple[str, str, str]]:
    return [
        (o.record["source_event_type"], o.record["basis"], o.record["level"])
        for s in steps
        for o in s.outputs
        if o.event_type == "Shared" and o.key == recipient
    ]


def test_one_outcome_per_candidate_and_each_encodes_under_its_schema(
    history: list[dict[str, Any]],
) -> None:
    _, steps = _run(history)
    for step in steps:
        decided = [o for o in step.outputs if o.event_type != "VisibilityRevoked"]
        assert len(decided) == len(step.decisions)
        assert len({o.record["recipient_id"] for o in decided}) == len(decided)
        for output in step.outputs:
            assert codec.decode(codec.encode(output.event_type, output.record)).record


def test_the_school_dsl_hears_of_each_incident_on_the_police_safeguarding_basis(
    history: list[dict[str, Any]],
) -> None:
    _, steps = _run(history)
    encompass = [s for s in _shared(steps, SCHOOL_DSL) if s[0] == "EncompassNotificationRequested"]
    assert (
        encompass
        == [("EncompassNotificationRequested", "LAW_ENFORCEMENT_DPA2018_PART3_SCH8", "FULL")] * 2
    )


def test_the_lead_practitioner_gets_consent_based_items_only_before_withdrawal(
    history: list[dict[str, Any]],
) -> None:
    _, steps = _run(history)
    assert _shared(steps, LEAD_PRACTITIONER) == [
        ("EarlyHelpAssessmentStarted", "CONSENT", "FULL"),
        ("ConcernRaised", "CONSENT", "FULL"),
        ("IncidentRecorded", "LAW_ENFORCEMENT_DPA2018_PART3_SCH8", "SUMMARY"),
        ("ConsentWithdrawn", "PUBLIC_TASK", "SUMMARY"),
        ("IncidentRecorded", "LAW_ENFORCEMENT_DPA2018_PART3_SCH8", "SUMMARY"),
    ]
    second_concern = steps[7]
    assert second_concern.outputs[0].record["source_event_type"] == "ConcernRaised"
    codes = {
        o.record["recipient_id"]: o.record["code"]
        for o in second_concern.outputs
        if o.event_type == "ShareRefused"
    }
    assert codes[LEAD_PRACTITIONER] == "CONSENT_WITHDRAWN"


def test_withdrawal_revokes_exactly_the_consent_based_shares(
    history: list[dict[str, Any]],
) -> None:
    state, steps = _run(history)
    consent_shares = {
        (str(o.record["source_event_id"]), o.key)
        for s in steps
        for o in s.outputs
        if o.event_type == "Shared" and o.record["basis"] == "CONSENT"
    }
    withdrawal = steps[6]
    revoked = [o for o in withdrawal.outputs if o.event_type == "VisibilityRevoked"]
    assert {(str(o.record["shared_source_event_id"]), o.key) for o in revoked} == consent_shares
    assert len(consent_shares) == 5  # assessment to lead, TAF and school; concern to lead, TAF
    for o in revoked:
        shared_id = output_event_id(
            str(o.record["shared_source_event_id"]), RECORD, o.key, "Shared"
        )
        assert o.record["shared_event_id"] == shared_id
    assert state.consent_shares == ()


def test_a_replay_gives_the_same_records_whatever_the_state_has_become(
    history: list[dict[str, Any]],
) -> None:
    state, steps = _run(history)
    for record, first in zip(history, steps, strict=True):
        again = process(state, record, record_id=RECORD, agreement=AGREEMENT, area=Area(), now=NOW)
        assert again.replay
        assert again.state == state
        assert [(o.key, o.record) for o in again.outputs] == [
            (o.key, o.record) for o in first.outputs
        ]


def test_no_shared_content_holds_a_field_above_its_level(history: list[dict[str, Any]]) -> None:
    _, steps = _run(history)
    for step in steps:
        for o in step.outputs:
            if o.event_type != "Shared":
                continue
            allowed = AGREEMENT.fields_for(
                EventType(o.record["source_event_type"]), Level(o.record["level"])
            )
            assert set(json.loads(o.record["content"])) <= allowed


def test_policy_adopted_is_named_by_the_agreements_content_hash() -> None:
    adopted = policy_adopted(AGREEMENT, now=NOW, adopted_by="hub-sharing-stage")
    again = policy_adopted(AGREEMENT, now=NOW.replace(hour=10), adopted_by="hub-sharing-stage")
    assert adopted.record["event_id"] == again.record["event_id"]
    assert adopted.key == AGREEMENT.content_hash
    decoded = codec.decode(codec.encode("PolicyAdopted", adopted.record)).record
    assert decoded["version"] == AGREEMENT.version


def _source(output: Output, offset: int) -> SourceRecord:
    return SourceRecord(
        topic="hub.log.shares.v1",
        partition=0,
        offset=offset,
        key=output.key.encode(),
        value=codec.encode(output.event_type, output.record),
    )


def test_the_projection_maps_shares_revocations_and_refusals(
    history: list[dict[str, Any]],
) -> None:
    _, steps = _run(history)
    outputs = [o for s in steps for o in s.outputs]
    mapped = [row for i, o in enumerate(outputs) for row in rows(_source(o, i))]
    kinds = Counter(type(r).__name__ for r in mapped)
    assert kinds == Counter(
        {
            "ShareRow": sum(o.event_type == "Shared" for o in outputs),
            "RevocationRow": 5,
            "RefusalRow": sum(o.event_type == "ShareRefused" for o in outputs),
        }
    )
    shares = {(r.source_event_id, r.recipient_id): r for r in mapped if isinstance(r, ShareRow)}
    for revocation in (r for r in mapped if isinstance(r, RevocationRow)):
        assert (revocation.source_event_id, revocation.recipient_id) in shares
    assert all(r.code for r in mapped if isinstance(r, RefusalRow))

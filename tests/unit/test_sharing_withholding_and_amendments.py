"""A practitioner's withholding and the sharing of corrections and retractions, through the
sharing stage's pure core (as the agent drives it) and as properties of the decision."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import codec
from schemas.validation import validate_event
from streams.policy import (
    Delivery,
    Refusal,
    RefusalCode,
    Share,
    decide_shares,
    follow_original,
    follows_event_id,
    load_default_agreement,
    shareable_event,
    withholdings_of,
)
from streams.policy.consent import ChildStatus, ConsentGiven, ConsentState, ConsentWithdrawn, apply
from streams.policy.decision import CandidateRecipient
from streams.policy.relationships import Area
from streams.policy.stage import ChildSharingState, Step, process
from streams.policy.stage_json import (
    deliveries_from_json,
    deliveries_to_json,
    state_from_json,
    state_to_json,
)
from streams.policy.vocabulary import DUTY_BASES, Basis, EventType, Level, Relationship, Role
from tests.unit.event_samples import sample_event
from tests.unit.sharing_history import (
    HEALTH_VISITOR,
    LEAD_PRACTITIONER,
    SCHOOL_DSL,
    WITHHOLDING,
    amended_history,
)

AGREEMENT = load_default_agreement()
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
RECORD = "rec-1"
START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
FRONT_DOOR = "stockton-childrens-hub:social_worker"
POLICE_MASH = "cleveland-police-mash:police"
TAF = "taf:EHA-T1"


def run(records: list[dict[str, Any]]) -> list[Step]:
    """Drive the core as the agent does: state and deliveries through their JSON each time."""
    state, deliveries, steps = ChildSharingState(), dict[str, str](), []
    for record in records:
        follows = follows_event_id(record)
        original = deliveries_from_json(deliveries.get(follows)) if follows else ()
        step = process(
            state,
            record,
            record_id=RECORD,
            agreement=AGREEMENT,
            area=Area(),
            now=NOW,
            original=original,
        )
        if step.delivered:
            deliveries[str(record["event_id"])] = deliveries_to_json(step.delivered)
        state = state_from_json(state_to_json(step.state))
        assert state == step.state
        steps.append(step)
    return steps


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    return amended_history("9990000018", START, "T1")


@pytest.fixture(scope="module")
def steps(history: list[dict[str, Any]]) -> list[Step]:
    return run(history)


def step_of(history: list[dict[str, Any]], steps: list[Step], event_type: str, n: int = 0) -> Step:
    indexes = [i for i, r in enumerate(history) if r["event_type"] == event_type]
    return steps[indexes[n]]


def outcomes(step: Step) -> dict[str, tuple[str, str | None]]:
    """recipient -> (kind, code or basis) for one step's decisions."""
    found: dict[str, tuple[str, str | None]] = {}
    for o in step.outputs:
        if o.event_type == "VisibilityRevoked":
            continue
        detail = o.record.get("code") or o.record.get("basis")
        found[o.record["recipient_id"]] = (o.event_type, detail)
    return found


def test_every_record_of_the_history_is_valid_and_every_output_encodes(
    history: list[dict[str, Any]], steps: list[Step]
) -> None:
    for record in history:
        assert validate_event(record["event_type"], record, now=NOW) == []
        assert codec.decode(codec.encode(record["event_type"], record)).record == record
    for step in steps:
        for output in step.outputs:
            assert codec.decode(codec.encode(output.event_type, output.record)).record


# ---- withholding ---------------------------------------------------------------------------


def test_the_withheld_field_is_read_as_the_practitioners_withholding() -> None:
    record = sample_event("VisitRecorded") | {"withheld": dict(WITHHOLDING)}
    (withholding,) = withholdings_of(record)
    assert withholding.reason == WITHHOLDING["reason"]
    assert withholding.decided_by == "Health visitor"
    assert withholding.roles == frozenset({Role.SCHOOL_DSL, Role.EARLY_HELP_LEAD_PRACTITIONER})
    assert withholding.recipient_ids is None
    assert withholdings_of(sample_event("VisitRecorded")) == ()
    # The field is an instruction to the hub, never content for a recipient.
    assert "withheld" not in shareable_event(record).content


def test_a_withheld_visit_is_a_non_disclosure_where_safeguarding_applied_else_a_refusal(
    history: list[dict[str, Any]], steps: list[Step]
) -> None:
    step = step_of(history, steps, "VisitRecorded")
    found = outcomes(step)
    # Rule 23: the school would have known, on the safeguarding basis, that health is involved.
    assert found[SCHOOL_DSL] == ("NonDisclosureRecorded", "SAFEGUARDING_DPA2018_SCH1_PARA18")
    nd = next(o.record for o in step.outputs if o.event_type == "NonDisclosureRecorded")
    assert (nd["level"], nd["rule_number"], nd["reason"], nd["decided_by"]) == (
        "EXISTENCE_ONLY",
        23,
        WITHHOLDING["reason"],
        "Health visitor",
    )
    assert nd["recipient_id"] == SCHOOL_DSL
    # Rule 27: the lead practitioner would have had it only with consent: a plain refusal.
    assert found[LEAD_PRACTITIONER] == ("ShareRefused", "WITHHELD")
    # Not withheld from health colleagues: the visiting health visitor's team still gets it.
    assert found[HEALTH_VISITOR] == ("Shared", "PUBLIC_TASK")
    # Exactly one outcome per candidate, withheld or not.
    assert (
        len(found) == len(step.decisions) == len({d.recipient.recipient_id for d in step.decisions})
    )


def test_a_withholding_of_everyone_records_each_recipient_once() -> None:
    record = sample_event("ConcernRaised") | {
        "withheld": {
            "reason": "r",
            "decided_by_role": "DSL",
            "from_roles": [],
            "from_recipients": [],
        }
    }
    recipients = [
        CandidateRecipient(
            recipient_id=FRONT_DOOR,
            role=Role.FRONT_DOOR_SOCIAL_WORKER,
            organisation_id="stockton-childrens-hub",
            relationship=Relationship.ALLOCATED,
        ),
        CandidateRecipient(
            recipient_id=LEAD_PRACTITIONER,
            role=Role.EARLY_HELP_LEAD_PRACTITIONER,
            organisation_id="stockton-family-hub",
            relationship=Relationship.ALLOCATED,
        ),
    ]
    open_case = ChildStatus(case_open=True, social_care_team="stockton-childrens-hub")
    consent = apply(
        ConsentState(), ConsentGiven(scope="EARLY_HELP_SHARING", by="parent-1", at=START)
    )
    decisions = decide_shares(
        shareable_event(record),
        consent,
        open_case,
        recipients,
        AGREEMENT,
        withholdings=withholdings_of(record),
    )
    kinds = [type(d).__name__ for d in decisions]
    assert kinds == ["NonDisclosure", "Refusal"]  # rule 15 (s.16LA duty), rule 17 (consent)
    assert not any(isinstance(d, Share) for d in decisions)


# ---- corrections and retractions follow the original ---------------------------------------


def test_a_correction_reaches_exactly_who_received_the_entry_at_their_level(
    history: list[dict[str, Any]], steps: list[Step]
) -> None:
    original = outcomes(step_of(history, steps, "ConcernRaised", 0))
    received = {r for r, (kind, _) in original.items() if kind == "Shared"}
    assert received == {LEAD_PRACTITIONER, TAF}
    refused = {r for r, (kind, _) in original.items() if kind == "ShareRefused"}
    assert SCHOOL_DSL in refused

    step = step_of(history, steps, "EntryCorrected")
    corrected = {o.record["recipient_id"]: o.record for o in step.outputs}
    assert set(corrected) == received, "nobody refused the concern hears of its correction"
    original_shares = {
        o.record["recipient_id"]: o.record
        for o in step_of(history, steps, "ConcernRaised", 0).outputs
        if o.event_type == "Shared"
    }
    for recipient, record in corrected.items():
        first = original_shares[recipient]
        assert record["source_event_type"] == "EntryCorrected"
        for key in ("level", "basis", "consent_scope", "rule_number"):
            assert record[key] == first[key]
    lead, taf = corrected[LEAD_PRACTITIONER], corrected[TAF]
    assert set(eval_json(lead["content"])) == set(
        AGREEMENT.fields_for(EventType.ENTRY_CORRECTED, Level.FULL)
    )
    assert "corrected_by" not in eval_json(lead["content"]), "names never leave"
    assert set(eval_json(taf["content"])) == set(
        AGREEMENT.fields_for(EventType.ENTRY_CORRECTED, Level.SUMMARY)
    )


def test_withdrawal_revokes_a_consent_based_correction_like_the_entry(
    history: list[dict[str, Any]], steps: list[Step]
) -> None:
    revoked = Counter(
        o.record["shared_source_event_id"]
        for o in step_of(history, steps, "ConsentWithdrawn").outputs
        if o.event_type == "VisibilityRevoked"
    )
    correction = next(r for r in history if r["event_type"] == "EntryCorrected")
    assert revoked[correction["event_id"]] == 2  # the lead practitioner and the TAF


def test_a_retraction_after_withdrawal_follows_only_where_the_entry_is_still_visible(
    history: list[dict[str, Any]], steps: list[Step]
) -> None:
    concern = outcomes(step_of(history, steps, "EntryRetracted", 0))
    assert concern == {
        LEAD_PRACTITIONER: ("ShareRefused", "CONSENT_WITHDRAWN"),
        TAF: ("ShareRefused", "CONSENT_WITHDRAWN"),
    }
    incident_received = {
        r
        for r, (kind, _) in outcomes(step_of(history, steps, "IncidentRecorded", 0)).items()
        if kind == "Shared"
    }
    incident = outcomes(step_of(history, steps, "EntryRetracted", 1))
    assert set(incident) == incident_received == {FRONT_DOOR, POLICE_MASH, LEAD_PRACTITIONER}
    police = "LAW_ENFORCEMENT_DPA2018_PART3_SCH8"
    assert set(incident.values()) == {("Shared", police)}, "safeguarding amendments still flow"


def test_an_amendment_of_an_entry_nobody_received_is_shared_with_nobody() -> None:
    correction = sample_event("EntryCorrected")
    step = process(
        ChildSharingState(),
        correction,
        record_id=RECORD,
        agreement=AGREEMENT,
        area=Area(),
        now=NOW,
    )
    assert step.outputs == []
    assert step.decisions == []


def test_a_replayed_amendment_derives_the_same_records_from_what_it_first_followed(
    history: list[dict[str, Any]],
) -> None:
    upto = next(i for i, r in enumerate(history) if r["event_type"] == "EntryCorrected")
    first = run(history[: upto + 1])
    state = first[-1].state
    # Redelivered later, with no deliveries looked up this time: the remembered inputs decide.
    again = process(
        state, history[upto], record_id=RECORD, agreement=AGREEMENT, area=Area(), now=NOW
    )
    assert again.replay
    assert [o.record["event_id"] for o in again.outputs] == [
        o.record["event_id"] for o in first[-1].outputs
    ]
    assert again.delivered == first[-1].delivered


def eval_json(text: str) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads(text)
    return loaded


# ---- properties -------------------------------------------------------------------------------

ROLE_RELATIONSHIPS = [
    (Role.SCHOOL_DSL, Relationship.CHILD_ENROLLED_AT),
    (Role.FRONT_DOOR_SOCIAL_WORKER, Relationship.ALLOCATED),
    (Role.FRONT_DOOR_SOCIAL_WORKER, Relationship.AREA_DUTY),
    (Role.EARLY_HELP_LEAD_PRACTITIONER, Relationship.ALLOCATED),
    (Role.TAF_MEMBER, Relationship.TEAM_AROUND_FAMILY),
    (Role.HEALTH_VISITOR, Relationship.ALLOCATED),
    (Role.GP, Relationship.REGISTERED_WITH),
    (Role.POLICE, Relationship.AREA_DUTY),
    (Role.PITSTOP_PANEL, Relationship.PANEL_MEMBER),
]
candidate_lists = st.lists(st.sampled_from(ROLE_RELATIONSHIPS), unique=True).map(
    lambda pairs: [
        CandidateRecipient(
            recipient_id=f"r{i}", role=role, organisation_id=f"o{i}", relationship=rel
        )
        for i, (role, rel) in enumerate(pairs)
    ]
)
statuses = st.builds(
    ChildStatus,
    cp_plan_active=st.booleans(),
    looked_after=st.booleans(),
    case_open=st.booleans(),
)
ORIGINALS = ["ConcernRaised", "VisitRecorded", "IncidentRecorded", "ReferralMade"]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ORIGINALS),
    st.sampled_from(["EntryCorrected", "EntryRetracted"]),
    candidate_lists,
    statuses,
    st.booleans(),
    st.booleans(),
)
def test_an_amendment_has_one_outcome_per_recipient_of_the_original_and_nobody_else(
    original_type: str,
    amendment_type: str,
    candidates: list[CandidateRecipient],
    status: ChildStatus,
    consent_at_first: bool,
    withdrawn_later: bool,
) -> None:
    consent = ConsentState()
    if consent_at_first:
        consent = apply(consent, ConsentGiven(scope="EARLY_HELP_SHARING", by="p", at=START))
    original = sample_event(original_type)
    first = decide_shares(shareable_event(original), consent, status, candidates, AGREEMENT)
    delivered = [Delivery.of(d) for d in first if isinstance(d, Share)]
    later = consent
    if withdrawn_later:
        later = apply(consent, ConsentWithdrawn(scope="EARLY_HELP_SHARING", by="p", at=NOW))
    amendment = sample_event(amendment_type)
    decisions = follow_original(shareable_event(amendment), delivered, later, AGREEMENT)

    assert [d.recipient for d in decisions] == [d.recipient for d in delivered]
    refused_first = {d.recipient.recipient_id for d in first if not isinstance(d, Share)}
    assert not refused_first & {d.recipient.recipient_id for d in decisions}
    for delivery, decision in zip(delivered, decisions, strict=True):
        if isinstance(decision, Share):
            assert (decision.level, decision.basis, decision.rule_number) == (
                delivery.level,
                delivery.basis,
                delivery.rule_number,
            )
            fields = AGREEMENT.fields_for(EventType(amendment_type), decision.level)
            assert set(decision.content) <= fields
            assert not {"corrected_by", "retracted_by"} & set(decision.content)
        else:
            assert isinstance(decision, Refusal)
            assert decision.code is RefusalCode.CONSENT_WITHDRAWN
            assert delivery.basis is Basis.CONSENT
            assert withdrawn_later
        if delivery.basis in DUTY_BASES:
            assert isinstance(decision, Share), "safeguarding amendments always follow"

"""The sharing stage's pure core: one child's state, one event in, the records to emit out.

For each event on the spine (one child record at a time): fold consent, status and
relationships; take as candidates everyone connected to the child before or after the event (so
a closure still reaches the lead practitioner it ends, and an enrolment already reaches the new
school); call ``decide_shares`` (with the publisher's withholding, if the record carries one); turn each
outcome into a record. A ConsentWithdrawn also revokes the child's earlier shares made on the
withdrawn consent. A correction or retraction has as candidates exactly the recipients of the
entry it amends (``original``: the caller looks them up, by the ``delivered`` each step
returns) and is decided by ``follow_original``.

Replays: the inputs of the child's last ``RECENT`` decisions are kept by event id, so a
redelivered event is decided again on exactly the inputs it first had and yields the same
records with the same ids (uuid5 of source event, record, recipient and outcome), whatever the
state has become since. The state holds ids, states and flags only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final

from streams.policy.agreement import Agreement, policy_adopted_event
from streams.policy.consent import (
    ChildStatus,
    ConsentState,
    ConsentWithdrawn,
    apply,
)
from streams.policy.decision import (
    CandidateRecipient,
    Delivery,
    NonDisclosure,
    Refusal,
    Share,
    ShareDecision,
    decide_shares,
    follow_original,
)
from streams.policy.records import (
    consent_event,
    shareable_event,
    status_event,
    withholdings_of,
)
from streams.policy.relationships import Area, Relationships, apply_relationship, candidates, merge
from streams.policy.vocabulary import FOLLOWS_ORIGINAL, Basis, EventType

RECENT: Final = 16
# Derived event ids are uuid5 in this namespace of what they derive from.
SHARING_NAMESPACE: Final = uuid.UUID("5d0c3a9e-7b41-5f2a-9c6e-2e8b1f4a7d30")
# The hub publishes what it derives (as the identity stage does).
HUB_SOURCE: Final[Mapping[str, Any]] = {
    "agency_id": "hub",
    "agency_kind": "LOCAL_AUTHORITY",
    "system": "hub",
    "practitioner_role": None,
}
REVOKED_ON_WITHDRAWAL: Final = "CONSENT_WITHDRAWN"


class Destination(StrEnum):
    """Where a record goes: partners' shares log, or the audit log."""

    SHARES = "shares"  # keyed by recipient id
    AUDIT = "audit"  # keyed by record id
    POLICY = "policy"  # keyed by the agreement's content hash


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    """One record to emit."""

    destination: Destination
    key: str
    event_type: str
    record: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Inputs:
    """Everything a decision about one event depended on, beyond the event and agreement."""

    consent: ConsentState
    status: ChildStatus
    candidates: tuple[CandidateRecipient, ...]
    revoked: tuple[tuple[str, str, str], ...] = ()  # (source event id, recipient id, scope)
    followed: tuple[Delivery, ...] = ()  # amendments: who received the entry amended, and how


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildSharingState:
    """One child record's state in the sharing stage."""

    consent: ConsentState = field(default_factory=ConsentState)
    status: ChildStatus = field(default_factory=ChildStatus)
    relationships: Relationships = field(default_factory=Relationships)
    # Shares made on consent and not yet revoked: (source event id, recipient id, scope).
    consent_shares: tuple[tuple[str, str, str], ...] = ()
    recent: tuple[tuple[str, Inputs], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """The state after an event, what to emit, the decisions, and whether it was a replay.

    `delivered`: what this event's shares delivered, for the caller to keep under
    (record id, event id) so an amendment of the event can follow it.
    """

    state: ChildSharingState
    outputs: list[Output]
    decisions: list[ShareDecision]
    replay: bool
    delivered: tuple[Delivery, ...] = ()


def process(
    state: ChildSharingState,
    record: Mapping[str, Any],
    *,
    record_id: str,
    agreement: Agreement,
    area: Area,
    now: datetime,
    original: Sequence[Delivery] = (),
) -> Step:
    """Decide one decoded event for one child record.

    `original`: for a correction or retraction, the deliveries of the entry it amends in this
    record (empty when nobody received it, or it has not reached this record).
    """
    event_id = str(record["event_id"])
    remembered = dict(state.recent).get(event_id)
    if remembered is not None:
        decisions, outputs = _decide(record, record_id, remembered, agreement, now)
        return Step(
            state=state,
            outputs=outputs,
            decisions=decisions,
            replay=True,
            delivered=_delivered(decisions),
        )

    consent, status = state.consent, state.status
    consent_change = consent_event(record)
    if consent_change is not None:
        consent = apply(consent, consent_change)
    status_change = status_event(record)
    if status_change is not None:
        status = apply(status, status_change)
    relationships = apply_relationship(state.relationships, record)
    on = _aware(record["occurred_at"]).date()
    answering = (
        str(record["referral_id"])
        if record["event_type"] == EventType.REFERRAL_OUTCOME_RECORDED
        else None
    )
    follows = record["event_type"] in FOLLOWS_ORIGINAL
    found = (
        [d.recipient for d in original]
        if follows
        else merge(
            candidates(relationships, status, area, on=on, answering=answering),
            candidates(state.relationships, state.status, area, on=on, answering=answering),
        )
    )
    revoked: tuple[tuple[str, str, str], ...] = ()
    if isinstance(consent_change, ConsentWithdrawn) and not consent.is_given(consent_change.scope):
        revoked = tuple(s for s in state.consent_shares if s[2] == consent_change.scope)
    inputs = Inputs(
        consent=consent,
        status=status,
        candidates=tuple(found),
        revoked=revoked,
        followed=tuple(original) if follows else (),
    )
    decisions, outputs = _decide(record, record_id, inputs, agreement, now)

    kept = [s for s in state.consent_shares if s not in revoked]
    kept += [
        (d.event_id, d.recipient.recipient_id, d.consent_scope)
        for d in decisions
        if isinstance(d, Share) and d.basis is Basis.CONSENT and d.consent_scope is not None
    ]
    new_state = ChildSharingState(
        consent=consent,
        status=status,
        relationships=relationships,
        consent_shares=tuple(sorted(set(kept))),
        recent=(*state.recent, (event_id, inputs))[-RECENT:],
    )
    return Step(
        state=new_state,
        outputs=outputs,
        decisions=decisions,
        replay=False,
        delivered=_delivered(decisions),
    )


def _delivered(decisions: Sequence[ShareDecision]) -> tuple[Delivery, ...]:
    return tuple(Delivery.of(d) for d in decisions if isinstance(d, Share))


def _decide(
    record: Mapping[str, Any],
    record_id: str,
    inputs: Inputs,
    agreement: Agreement,
    now: datetime,
) -> tuple[list[ShareDecision], list[Output]]:
    event = shareable_event(record)
    decisions = (
        follow_original(event, inputs.followed, inputs.consent, agreement)
        if event.event_type in FOLLOWS_ORIGINAL
        else decide_shares(
            event,
            inputs.consent,
            inputs.status,
            inputs.candidates,
            agreement,
            withholdings=withholdings_of(record),
        )
    )
    base = {
        "source_event_id": uuid.UUID(event.event_id),
        "source_event_type": event.event_type.value,
        "record_id": record_id,
    }
    occurred = _aware(record["occurred_at"])
    outputs = [_output(d, base, agreement, occurred, now) for d in decisions]
    for source_event_id, recipient_id, scope in inputs.revoked:
        shared_id = output_event_id(source_event_id, record_id, recipient_id, "Shared")
        revoked = {
            **_envelope("VisibilityRevoked", f"{event.event_id}/{shared_id}", occurred, now),
            "source_event_id": uuid.UUID(event.event_id),
            "record_id": record_id,
            "recipient_id": recipient_id,
            "shared_event_id": shared_id,
            "shared_source_event_id": uuid.UUID(source_event_id),
            "consent_scope": scope,
            "reason_code": REVOKED_ON_WITHDRAWAL,
        }
        outputs.append(
            Output(
                destination=Destination.SHARES,
                key=recipient_id,
                event_type="VisibilityRevoked",
                record=revoked,
            )
        )
    return decisions, outputs


def output_event_id(
    source_event_id: str, record_id: str, recipient_id: str, kind: str
) -> uuid.UUID:
    """The id of a derived record: the same inputs always give the same id."""
    return uuid.uuid5(SHARING_NAMESPACE, f"{kind}/{source_event_id}/{record_id}/{recipient_id}")


def _output(
    decision: ShareDecision,
    base: Mapping[str, Any],
    agreement: Agreement,
    occurred: datetime,
    now: datetime,
) -> Output:
    recipient = decision.recipient
    kind = {Share: "Shared", Refusal: "ShareRefused", NonDisclosure: "NonDisclosureRecorded"}[
        type(decision)
    ]
    seed = f"{base['source_event_id']}/{base['record_id']}/{recipient.recipient_id}"
    record: dict[str, Any] = {
        **_envelope(kind, seed, occurred, now),
        **base,
        "recipient_id": recipient.recipient_id,
        "recipient_role": recipient.role.value,
        "recipient_organisation_id": recipient.organisation_id,
        "relationship": recipient.relationship.value,
        "policy_version": decision.policy_version,
        "policy_content_hash": agreement.content_hash,
    }
    if isinstance(decision, Share):
        record |= {
            "level": decision.level.value,
            "basis": decision.basis.value,
            "consent_scope": decision.consent_scope,
            "rule_number": decision.rule_number,
            "content": content_json(decision.content),
        }
        return Output(
            destination=Destination.SHARES,
            key=recipient.recipient_id,
            event_type=kind,
            record=record,
        )
    if isinstance(decision, Refusal):
        record |= {"code": decision.code.value, "reason": decision.reason}
    else:
        record |= {
            "level": decision.level.value,
            "basis": decision.basis.value,
            "rule_number": decision.rule_number,
            "reason": decision.reason,
            "decided_by": decision.decided_by,
        }
    return Output(
        destination=Destination.AUDIT, key=str(base["record_id"]), event_type=kind, record=record
    )


def policy_adopted(agreement: Agreement, *, now: datetime, adopted_by: str) -> Output:
    """The PolicyAdopted record for an agreement (its id is a function of its content hash)."""
    adopted = policy_adopted_event(agreement, adopted_at=now, adopted_by=adopted_by)
    record = {
        **_envelope("PolicyAdopted", agreement.content_hash, now, now),
        "version": adopted["version"],
        "content_hash": adopted["content_hash"],
        "title": adopted["title"],
        "effective_from": agreement.effective_from,
        "adopted_by": adopted_by,
    }
    return Output(
        destination=Destination.POLICY,
        key=agreement.content_hash,
        event_type="PolicyAdopted",
        record=record,
    )


def _envelope(kind: str, seed: str, occurred: datetime, recorded: datetime) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid5(SHARING_NAMESPACE, f"{kind}/{seed}"),
        "event_type": kind,
        "occurred_at": occurred,
        "recorded_at": recorded,
        "source": dict(HUB_SOURCE),
        "subjects": [],  # ids only: identifiers stay in the source event
        "lawful_basis": None,
    }


def content_json(content: Mapping[str, object]) -> str:
    """The redacted content as compact JSON text (times ISO-8601 UTC, dates, uuids as text)."""
    return json.dumps(_jsonable(content), sort_keys=True, separators=(",", ":"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _aware(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _aware(at: Any) -> datetime:
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValueError("event times must be timezone-aware datetimes")
    return at.astimezone(UTC)

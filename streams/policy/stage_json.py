"""The sharing stage's state as small JSON text, for its faust table (ids, states and flags only)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from streams.policy.consent import ChildStatus, ConsentState, ScopeConsent
from streams.policy.decision import CandidateRecipient, Delivery
from streams.policy.relationships import Relationships
from streams.policy.stage import ChildSharingState, Inputs
from streams.policy.vocabulary import Basis, Level, Relationship, Role


def state_to_json(state: ChildSharingState) -> str:
    """The state as compact JSON text."""
    return json.dumps(
        {
            "consent": _consent_json(state.consent),
            "status": _status_json(state.status),
            "relationships": state.relationships.to_json(),
            "consent_shares": [list(s) for s in state.consent_shares],
            "recent": [[e, _inputs_json(i)] for e, i in state.recent],
        },
        separators=(",", ":"),
    )


def state_from_json(text: str | None) -> ChildSharingState:
    """The state from its JSON text (None: a child the stage has not seen)."""
    if not text:
        return ChildSharingState()
    data = json.loads(text)
    return ChildSharingState(
        consent=_consent_from(data["consent"]),
        status=_status_from(data["status"]),
        relationships=Relationships.from_json(data["relationships"]),
        consent_shares=tuple((a, b, c) for a, b, c in data["consent_shares"]),
        recent=tuple((e, _inputs_from(i)) for e, i in data["recent"]),
    )


def deliveries_to_json(deliveries: Sequence[Delivery]) -> str:
    """What an event's shares delivered, as compact JSON text (ids, levels and bases only)."""
    return json.dumps([_delivery_json(d) for d in deliveries], separators=(",", ":"))


def deliveries_from_json(text: str | None) -> tuple[Delivery, ...]:
    """The deliveries from their JSON text (None: the event was delivered to nobody)."""
    return tuple(_delivery_from(d) for d in json.loads(text)) if text else ()


def _delivery_json(d: Delivery) -> list[Any]:
    return [*_candidate_json(d.recipient), d.level.value, d.basis.value, d.consent_scope,
            d.rule_number]  # fmt: skip


def _delivery_from(data: Sequence[Any]) -> Delivery:
    *recipient, level, basis, scope, rule = data
    return Delivery(
        recipient=_candidate_from(recipient),
        level=Level(level),
        basis=Basis(basis),
        consent_scope=scope,
        rule_number=rule,
    )


def _candidate_json(c: CandidateRecipient) -> list[str]:
    return [c.recipient_id, c.role.value, c.organisation_id, c.relationship.value]


def _candidate_from(data: Sequence[str]) -> CandidateRecipient:
    r, role, o, rel = data
    return CandidateRecipient(
        recipient_id=r, role=Role(role), organisation_id=o, relationship=Relationship(rel)
    )


def _consent_json(consent: ConsentState) -> list[list[Any]]:
    return [[s.scope, s.given, s.by, s.at.isoformat()] for s in consent.scopes]


def _consent_from(data: Sequence[Sequence[Any]]) -> ConsentState:
    return ConsentState(
        scopes=tuple(
            ScopeConsent(scope=s, given=g, by=b, at=datetime.fromisoformat(a))
            for s, g, b, a in data
        )
    )


_STATUS_TIMES = ("cp_changed_at", "looked_after_changed_at", "case_changed_at", "team_changed_at")


def _status_json(status: ChildStatus) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cp": status.cp_plan_active,
        "la": status.looked_after,
        "open": status.case_open,
        "team": status.social_care_team,
    }
    for name in _STATUS_TIMES:
        at = getattr(status, name)
        data[name] = None if at is None else at.isoformat()
    return data


def _status_from(data: Mapping[str, Any]) -> ChildStatus:
    times = {
        n: None if data.get(n) is None else datetime.fromisoformat(data[n]) for n in _STATUS_TIMES
    }
    return ChildStatus(
        cp_plan_active=data["cp"],
        looked_after=data["la"],
        case_open=data["open"],
        social_care_team=data["team"],
        **times,
    )


def _inputs_json(inputs: Inputs) -> dict[str, Any]:
    return {
        "consent": _consent_json(inputs.consent),
        "status": _status_json(inputs.status),
        "candidates": [_candidate_json(c) for c in inputs.candidates],
        "revoked": [list(r) for r in inputs.revoked],
        "followed": [_delivery_json(d) for d in inputs.followed],
    }


def _inputs_from(data: Mapping[str, Any]) -> Inputs:
    return Inputs(
        consent=_consent_from(data["consent"]),
        status=_status_from(data["status"]),
        candidates=tuple(_candidate_from(c) for c in data["candidates"]),
        revoked=tuple((a, b, c) for a, b, c in data["revoked"]),
        followed=tuple(_delivery_from(d) for d in data.get("followed", [])),
    )

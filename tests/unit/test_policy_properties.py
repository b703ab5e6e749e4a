"""Properties of the decision over generated agreements, events, consent histories and recipients.

Agreements are generated as YAML-shaped data and go through the real loader, so every
variant is one a DPO could have written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.policy.agreement import Agreement, Rule, load_agreement
from streams.policy.consent import (
    ChildStatus,
    ConsentGiven,
    ConsentState,
    ConsentWithdrawn,
    fold,
)
from streams.policy.decision import (
    CandidateRecipient,
    NonDisclosure,
    Refusal,
    RefusalCode,
    Share,
    ShareableEvent,
    ShareDecision,
    Withholding,
    decide_shares,
    visible_after_withdrawal,
)
from streams.policy.vocabulary import (
    DUTY_BASES,
    AgencyKind,
    Basis,
    ChildCondition,
    EventType,
    Level,
    Relationship,
    RestrictedCategory,
    Role,
)

EVENT_TYPES = [EventType.INCIDENT_RECORDED, EventType.CONCERN_RAISED, EventType.VISIT_RECORDED]
CATEGORIES = ["NEGLECT", "DOMESTIC_ABUSE", "CAMHS"]
SCOPES = ["EARLY_HELP_SHARING", "HEALTH_SHARING"]
EXISTENCE_POOL = ["source", "contact"]
DETAIL_POOL = ["occurred_at", "summary", "action_taken", "detail", "referrer", "clinical"]
ROLES = list(Role)[:6]  # fewer roles, so rules and recipients meet often
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NON_POLICE = [a for a in AgencyKind if a is not AgencyKind.POLICE]


def subset(items: list[Any], *, min_size: int = 0) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.sampled_from(items), min_size=min_size, unique=True)


@st.composite
def field_lists(draw: st.DrawFn) -> dict[str, list[str]]:
    existence = draw(subset(EXISTENCE_POOL, min_size=1))
    summary = existence + draw(subset(DETAIL_POOL))
    full = summary + [f for f in draw(subset(DETAIL_POOL)) if f not in summary]
    return {"EXISTENCE_ONLY": existence, "SUMMARY": summary, "FULL": full}


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    basis = draw(st.sampled_from(list(Basis)))
    rule: dict[str, Any] = {
        "event": str(draw(st.sampled_from(EVENT_TYPES))),
        "to": [str(r) for r in draw(subset(ROLES, min_size=1))],
        "level": str(draw(st.sampled_from(list(Level)))),
        "basis": str(basis),
    }
    if basis is Basis.LAW_ENFORCEMENT_DPA2018_PART3_SCH8:
        rule["from"] = ["POLICE"]
    elif basis is Basis.SAFEGUARDING_DPA2018_SCH1_PARA18:
        rule["from"] = [str(a) for a in draw(subset(NON_POLICE, min_size=1))]
    elif draw(st.booleans()):
        rule["from"] = [str(a) for a in draw(subset(list(AgencyKind), min_size=1))]
    if basis is Basis.CONSENT:
        rule["consent_scope"] = draw(st.sampled_from(SCOPES))
    if draw(st.booleans()):
        rule["category"] = draw(st.sampled_from(CATEGORIES))
    if draw(st.booleans()):
        rule["relationships"] = [str(r) for r in draw(subset(list(Relationship), min_size=1))]
    if draw(st.booleans()):
        rule["only_when_child_is"] = [
            str(c) for c in draw(subset(list(ChildCondition), min_size=1))
        ]
    return rule


@st.composite
def agreements(draw: st.DrawFn) -> Agreement:
    restricted = {}
    for category in RestrictedCategory:
        restricted[str(category)] = {
            "roles": [str(r) for r in draw(subset(ROLES))],
            "fields": draw(subset(["referrer", "clinical"])),  # never in EXISTENCE_POOL
            "not_entitled_get": draw(st.sampled_from(["NOTHING", "EXISTENCE_ONLY"])),
        }
    data = {
        "version": f"v{draw(st.integers(1, 99))}",
        "effective_from": T0.date(),
        "title": "generated",
        "consent_scopes": {scope: "agreed" for scope in SCOPES},
        "restricted_categories": restricted,
        "fields": {str(t): draw(field_lists()) for t in EVENT_TYPES},
        "rules": draw(st.lists(rules(), min_size=1, max_size=12)),
    }
    return load_agreement(yaml.safe_dump(data))


@st.composite
def events(draw: st.DrawFn) -> ShareableEvent:
    names = draw(subset(EXISTENCE_POOL + DETAIL_POOL + ["never_listed"]))
    return ShareableEvent(
        event_id=f"evt-{draw(st.integers(0, 999))}",
        event_type=draw(st.sampled_from(EVENT_TYPES)),
        category=draw(st.none() | st.sampled_from(CATEGORIES)),
        source_agency=draw(st.sampled_from(list(AgencyKind))),
        restricted_categories=frozenset(draw(subset(list(RestrictedCategory)))),
        content={name: f"value of {name}" for name in names},
    )


@st.composite
def consent_histories(draw: st.DrawFn) -> list[ConsentGiven | ConsentWithdrawn]:
    steps = draw(st.lists(st.tuples(st.sampled_from(SCOPES), st.booleans()), max_size=6))
    return [
        (ConsentGiven if given else ConsentWithdrawn)(
            scope=scope, by="parent-1", at=T0 + timedelta(hours=i)
        )
        for i, (scope, given) in enumerate(steps)
    ]


statuses = st.builds(
    ChildStatus, cp_plan_active=st.booleans(), looked_after=st.booleans(), case_open=st.booleans()
)
recipients = st.lists(
    st.builds(
        CandidateRecipient,
        recipient_id=st.sampled_from(["r1", "r2", "r3", "r4"]),
        role=st.sampled_from(ROLES),
        organisation_id=st.just("org"),
        relationship=st.sampled_from(list(Relationship)),
    ),
    max_size=6,
)
slow = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def withdrawn_everything(state: ConsentState) -> ConsentState:
    last = max((s.at for s in state.scopes), default=T0)
    later = [ConsentWithdrawn(scope=s, by="parent-1", at=last + timedelta(days=1)) for s in SCOPES]
    return fold(state, later)


def granted_everything(state: ConsentState) -> ConsentState:
    last = max((s.at for s in state.scopes), default=T0)
    later = [ConsentGiven(scope=s, by="parent-1", at=last + timedelta(days=1)) for s in SCOPES]
    return fold(state, later)


def rule_of(agreement: Agreement, decision: Share | NonDisclosure, event: ShareableEvent) -> Rule:
    return next(
        r
        for r in agreement.rules_for(event.event_type)
        if r.number == decision.rule_number and decision.recipient.role in r.roles
    )


@slow
@given(agreements(), events(), consent_histories(), statuses, recipients)
def test_exactly_one_outcome_per_candidate(
    agreement: Agreement,
    event: ShareableEvent,
    history: list[ConsentGiven | ConsentWithdrawn],
    status: ChildStatus,
    candidates: list[CandidateRecipient],
) -> None:
    decisions = decide_shares(event, fold(ConsentState(), history), status, candidates, agreement)
    assert [d.recipient for d in decisions] == candidates
    assert all(d.event_id == event.event_id for d in decisions)
    assert all(d.policy_version == agreement.version for d in decisions)


@slow
@given(agreements(), events(), consent_histories(), statuses, recipients)
def test_nothing_consent_based_flows_without_standing_consent(
    agreement: Agreement,
    event: ShareableEvent,
    history: list[ConsentGiven | ConsentWithdrawn],
    status: ChildStatus,
    candidates: list[CandidateRecipient],
) -> None:
    consent = fold(ConsentState(), history)
    for state in (consent, withdrawn_everything(consent)):
        for decision in decide_shares(event, state, status, candidates, agreement):
            if isinstance(decision, Share) and decision.basis is Basis.CONSENT:
                assert decision.consent_scope is not None
                assert state.is_given(decision.consent_scope)
            if isinstance(decision, Share):
                # What the projection re-derives agrees with what was decided.
                assert visible_after_withdrawal(decision.basis, state, decision.consent_scope)
    after = withdrawn_everything(consent)
    shares = decide_shares(event, after, status, candidates, agreement)
    assert not any(isinstance(d, Share) and d.basis is Basis.CONSENT for d in shares)


@slow
@given(agreements(), events(), consent_histories(), statuses, recipients)
def test_safeguarding_items_flow_whatever_the_consent(
    agreement: Agreement,
    event: ShareableEvent,
    history: list[ConsentGiven | ConsentWithdrawn],
    status: ChildStatus,
    candidates: list[CandidateRecipient],
) -> None:
    consent = fold(ConsentState(), history)
    after = decide_shares(event, withdrawn_everything(consent), status, candidates, agreement)
    not_consent = frozenset(Basis) - {Basis.CONSENT}
    for decision in after:
        if _applies(agreement, event, status, decision.recipient, not_consent):
            # Shared on a non-consent basis, unless a restricted category keeps it back.
            assert (isinstance(decision, Share) and decision.basis is not Basis.CONSENT) or (
                isinstance(decision, Refusal) and decision.code is RefusalCode.RESTRICTED_CATEGORY
            )
    granted = decide_shares(event, granted_everything(consent), status, candidates, agreement)
    for state in (consent, withdrawn_everything(consent), ConsentState()):
        decided = decide_shares(event, state, status, candidates, agreement)
        for with_consent, now in zip(granted, decided, strict=True):
            if isinstance(with_consent, Share) and with_consent.basis is not Basis.CONSENT:
                assert now == with_consent  # not a field different, whatever the consent
            if isinstance(with_consent, Refusal):
                # Consent never opens what the agreement or a restriction closes.
                assert isinstance(now, Refusal)
                if with_consent.code is RefusalCode.NOT_IN_AGREEMENT:
                    assert now == with_consent


@slow
@given(agreements(), events(), consent_histories(), statuses, recipients)
def test_no_field_above_the_level_and_no_restricted_category_unentitled(
    agreement: Agreement,
    event: ShareableEvent,
    history: list[ConsentGiven | ConsentWithdrawn],
    status: ChildStatus,
    candidates: list[CandidateRecipient],
) -> None:
    consent = granted_everything(fold(ConsentState(), history))
    for decision in decide_shares(event, consent, status, candidates, agreement):
        if not isinstance(decision, Share):
            continue
        role = decision.recipient.role
        rule = rule_of(agreement, decision, event)
        assert decision.basis is rule.basis
        assert decision.level.rank <= rule.level.rank
        assert set(decision.content) <= agreement.fields_for(event.event_type, decision.level)
        assert all(decision.content[k] == event.content[k] for k in decision.content)
        for category, access in agreement.restricted.items():
            if agreement.entitled(role, category):
                continue
            assert not set(decision.content) & access.fields
            if category in event.restricted_categories:
                assert decision.level is Level.EXISTENCE_ONLY


@slow
@given(agreements(), events(), consent_histories(), statuses, recipients, st.data())
def test_withholding_is_a_recorded_non_disclosure_only_where_the_duty_applied(
    agreement: Agreement,
    event: ShareableEvent,
    history: list[ConsentGiven | ConsentWithdrawn],
    status: ChildStatus,
    candidates: list[CandidateRecipient],
    data: st.DataObject,
) -> None:
    consent = fold(ConsentState(), history)
    withheld_from = frozenset(data.draw(subset(["r1", "r2", "r3", "r4"])))
    withheld_roles = frozenset(data.draw(subset(ROLES)))
    withholding = Withholding(
        reason="would be more detrimental to the child",
        decided_by="Social worker",
        recipient_ids=withheld_from or None,
        roles=withheld_roles or None,
    )
    plain = decide_shares(event, consent, status, candidates, agreement)
    held = decide_shares(event, consent, status, candidates, agreement, withholdings=[withholding])
    assert not any(isinstance(d, NonDisclosure) for d in plain)
    # Still exactly one outcome per candidate recipient, in order.
    assert [d.recipient for d in held] == list(candidates)
    everyone = not withheld_from and not withheld_roles
    for before, after in zip(plain, held, strict=True):
        covered = (
            everyone
            or before.recipient.recipient_id in withheld_from
            or before.recipient.role in withheld_roles
        )
        if not covered or not isinstance(before, Share):
            assert after == before
            continue
        if isinstance(after, NonDisclosure):
            assert after.basis in DUTY_BASES
            assert after.reason == withholding.reason
            assert after.decided_by == withholding.decided_by
            assert after.level.rank <= rule_of(agreement, after, event).level.rank
            assert rule_of(agreement, after, event).basis is after.basis
        else:
            assert isinstance(after, Refusal)
            assert after.code is RefusalCode.WITHHELD
            assert _no_duty_rule_applies(agreement, event, status, before)


def _applies(
    agreement: Agreement,
    event: ShareableEvent,
    status: ChildStatus,
    recipient: CandidateRecipient,
    bases: frozenset[Basis],
) -> bool:
    """An independent reading of the rules: does one on these bases name this recipient?"""
    return any(
        r.basis in bases
        and recipient.role in r.roles
        and (r.relationships is None or recipient.relationship in r.relationships)
        and (r.from_agencies is None or event.source_agency in r.from_agencies)
        and (r.category is None or r.category == event.category)
        and (r.only_when_child_is is None or any(map(status.satisfies, r.only_when_child_is)))
        for r in agreement.rules_for(event.event_type)
    )


def _no_duty_rule_applies(
    agreement: Agreement, event: ShareableEvent, status: ChildStatus, decision: ShareDecision
) -> bool:
    return not _applies(agreement, event, status, decision.recipient, DUTY_BASES)
